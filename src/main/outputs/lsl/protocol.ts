/**
 * Lab Streaming Layer protocol 1.10 constants, as liblsl 1.17.7 defines them (docs/lsl.md §2–§7;
 * each fact there names the liblsl source it comes from).
 */

/** The protocol version ServerBIT speaks, in liblsl's integer form (1.10 → 110). */
export const PROTOCOL_VERSION = 110;

/** UDP port every outlet host listens on for discovery queries (liblsl `ports.MulticastPort`). */
export const MULTICAST_PORT = 16571;
/** First port of the range where outlets bind their TCP data and UDP service ports (`ports.BasePort`). */
export const BASE_PORT = 16572;
/** How many ports the range has (`ports.PortRange`): 16572–16603. */
export const PORT_RANGE = 32;

/**
 * IPv4 groups liblsl's resolvers query at the default "site" scope (`multicast.LinkAddresses` and
 * `SiteAddresses`); 255.255.255.255 and 127.0.0.1 are in the same list but are not groups to join.
 */
export const MULTICAST_GROUPS: readonly string[] = ['224.0.0.183', '239.255.172.215', '224.0.0.1'];

/** The `lab.SessionID` liblsl uses unless configured; resolvers put it in every query. */
export const DEFAULT_SESSION_ID = 'default';

/** Sample tag bytes (liblsl sample.h): the inlet adds 1/srate to the previous timestamp, or reads 8 bytes. */
export const TAG_DEDUCED_TIMESTAMP = 1;
export const TAG_TRANSMITTED_TIMESTAMP = 2;

/** Timestamp of both test-pattern samples of a stream feed (sample.cpp `assign_test_pattern`). */
export const TEST_PATTERN_TIMESTAMP = 123456.789;
/** The two test-pattern offsets, in the order they are sent (tcp_server.cpp). */
export const TEST_PATTERN_OFFSETS: readonly number[] = [4, 2];

/** Byte order code for little endian, as liblsl writes it in `Byte-Order:` (lsl::Endianness). */
export const LITTLE_ENDIAN = 1234;

/** The numeric channel formats ServerBIT sends (liblsl also has double64, int8, int32, int64, string). */
export type ChannelFormat = 'float32' | 'int16';

/** Bytes per value of each format. */
export const FORMAT_BYTES: Readonly<Record<ChannelFormat, number>> = { float32: 4, int16: 2 };

/**
 * Whether liblsl counts the format as able to hold subnormal numbers (`format_subnormal`): an
 * inlet that says `Supports-Subnormals: 0` is then told to suppress them on its side.
 */
export const FORMAT_SUBNORMAL: Readonly<Record<ChannelFormat, boolean>> = { float32: true, int16: false };

/** Largest datagram liblsl reads (udp_server.h `buffer_[65536]`); longer ones are truncated by it and dropped by us. */
export const MAX_DATAGRAM = 65536;
