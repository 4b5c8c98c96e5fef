export * from './common';
export * from './errors';
export * from './ipc';
export * from './license';
export * from './operators';
export * from './tenants';
export * from './audit';
export * from './tenant-directory';
