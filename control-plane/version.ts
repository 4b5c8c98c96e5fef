import packageJson from '../package.json';

/** This control plane's version (the package's), as the OpenAPI document and evidence reports name it. */
export const CONTROL_PLANE_VERSION: string = packageJson.version;
