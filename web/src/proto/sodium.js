/*
 * sodium.js — the single door to libsodium (libsodium-wrappers-sumo, pinned in web/package.json) for the
 * protocol module: every primitive of Postern's protocol goes through it, and nothing here implements one.
 * `ready()` must have resolved before any other call of the module; afterwards `sodium()` is synchronous.
 */
import lib from 'libsodium-wrappers-sumo';
import { ProtoError } from './errors.js';

let loaded = null;

/** Resolve once libsodium is initialised (idempotent; call and await before anything else). */
export async function ready() {
  await lib.ready;
  loaded = lib;
}

/** The initialised libsodium object. Throws ProtoError CRYPTO when ready() has not completed. */
export function sodium() {
  if (loaded === null) throw new ProtoError('CRYPTO', 'await ready() first');
  return loaded;
}
