/** Bounds on what crosses a process or webview boundary: a run id, a file path, a line of text, a stack trace. */
export const MAX_ID = 100;
export const MAX_PATH = 4096;
export const MAX_TEXT = 64 * 1024;
/** Error details carry a stack trace at most; reports are bounded by the engine, not here. */
export const MAX_DETAILS = 256 * 1024;
