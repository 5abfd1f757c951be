/** Four tabs (Live, Settings, Devices, Outputs) with the ARIA tab pattern and arrow-key navigation. */
export type TabName = 'live' | 'settings' | 'devices' | 'outputs';

export function mountTabs(root: HTMLElement, onSelect: (tab: TabName) => void): { select(tab: TabName): void } {
  const buttons = [...root.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const select = (tab: TabName) => {
    for (const b of buttons) {
      const on = b.dataset.tab === tab;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(b.getAttribute('aria-controls') ?? '');
      if (panel) panel.hidden = !on;
    }
    onSelect(tab);
  };
  root.addEventListener('click', (e) => {
    const b = (e.target as Element).closest<HTMLButtonElement>('[role="tab"]');
    if (b?.dataset.tab) select(b.dataset.tab as TabName);
  });
  root.addEventListener('keydown', (e) => {
    const i = buttons.findIndex((b) => b.getAttribute('aria-selected') === 'true');
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (d === 0 || i < 0) return;
    const next = buttons[(i + d + buttons.length) % buttons.length];
    select(next.dataset.tab as TabName);
    next.focus();
  });
  return { select };
}
