export * from './errors';
export * from './domain';
export * from './host';
export * from './files';
export * from './methods';
export * from './events';
export * from './envelope';
export * from './ports';
