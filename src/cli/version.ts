/** The version line: keepalived's format, naming the keepalived release we match. */
export const TSKEEPALIVED_VERSION = '0.1.0';
export const KEEPALIVED_COMPAT = '2.2.7';
export const VERSION_TEXT = `Keepalived v${KEEPALIVED_COMPAT} (tskeepalived ${TSKEEPALIVED_VERSION})`;
