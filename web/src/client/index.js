/*
 * index.js — everything the web client engine exports, for the browser UI and the tests: the Client
 * (libpostern's person-side API), the AppClient (a partner app's side: pst_app_*), the stores, the error
 * type. It must not add behaviour of its own.
 */
export { Client } from './client.js';
export { AppClient } from './app.js';
export { MemoryStore, IndexedDbStore, SealedStore, openBrowserStore } from './store.js';
export { PstError, Status } from './errors.js';
export { MsgFlag, TEXT_MAX } from './e2ee.js';
