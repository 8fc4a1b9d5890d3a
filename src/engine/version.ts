import pkg from '../../package.json';

/** The tool's version, from package.json (bundled in). */
export const TOOL_VERSION: string = pkg.version;
