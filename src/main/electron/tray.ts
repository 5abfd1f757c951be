/**
 * The tray icon and its menu, drawn from the plain model in src/main/desktop/tray-model.ts.
 * Each update replaces image, tooltip and menu only when the model changed.
 */
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import type { DesktopPaths } from '../desktop/paths.js';
import { assetPath } from '../desktop/paths.js';
import type { MenuItemId, MenuItemModel, TrayOutput, TrayView } from '../desktop/tray-model.js';

export type TrayAction = (id: MenuItemId, checked: boolean, device?: string, output?: TrayOutput) => void;

export class TrayController {
  private readonly tray: Tray;
  private shown = '';

  constructor(
    private readonly paths: Pick<DesktopPaths, 'assetsDir'>,
    private readonly platform: NodeJS.Platform,
    first: TrayView,
    private readonly onAction: TrayAction,
    onClick: () => void,
  ) {
    this.tray = new Tray(this.image(first.icon));
    // Windows opens the window on a click; macOS and Linux show the menu instead.
    if (platform === 'win32') this.tray.on('click', onClick);
    this.update(first);
  }

  /** `force`: rebuild the menu even if the model is the same (a checkbox Electron ticked itself). */
  update(view: TrayView, force = false): void {
    const key = JSON.stringify(view);
    if (key === this.shown && !force) return;
    const before: Partial<TrayView> = this.shown ? (JSON.parse(this.shown) as TrayView) : {};
    this.shown = key;
    if (before.icon !== view.icon) this.tray.setImage(this.image(view.icon));
    if (before.tooltip !== view.tooltip) this.tray.setToolTip(view.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(view.menu.map((item) => this.menuItem(item))));
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private image(file: string) {
    // createFromPath also loads the @2x file next to it; a "…Template" name marks a template image on macOS.
    const image = nativeImage.createFromPath(assetPath(this.paths, file));
    if (this.platform === 'darwin') image.setTemplateImage(true);
    return image;
  }

  private menuItem(item: MenuItemModel): MenuItemConstructorOptions {
    if (item.type === 'separator') return { type: 'separator' };
    const id = item.id;
    const options: MenuItemConstructorOptions = { type: item.type, label: item.label, enabled: item.enabled };
    // Menu item ids must be unique: a device's (an output's) items carry its id too.
    if (id) options.id = item.device !== undefined ? `${id}:${item.device}` : item.output !== undefined ? `${id}:${item.output}` : id;
    if (item.type === 'checkbox') options.checked = item.checked ?? false;
    if (item.type === 'submenu') options.submenu = (item.submenu ?? []).map((sub) => this.menuItem(sub));
    else if (id && item.enabled) options.click = (menuItem) => this.onAction(id, menuItem.checked, item.device, item.output);
    return options;
  }
}
