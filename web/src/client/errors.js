/*
 * errors.js — the one error type of the web client engine: PstError, whose .code is the name of the C
 * library's pst_status (PST_ERR_INVALID, PST_ERR_HTTP, ...; include/postern/postern.h), with the HTTP status
 * and the server's error code when the server answered. It must not know about HTTP, storage or the UI.
 */

/** The pst_status names, as in include/postern/postern.h. */
export const Status = Object.freeze({
	INVALID: 'PST_ERR_INVALID',
	NOMEM: 'PST_ERR_NOMEM',
	NETWORK: 'PST_ERR_NETWORK',
	HTTP: 'PST_ERR_HTTP',
	PROTOCOL: 'PST_ERR_PROTOCOL',
	AUTH: 'PST_ERR_AUTH',
	NOT_FOUND: 'PST_ERR_NOT_FOUND',
	CRYPTO: 'PST_ERR_CRYPTO',
	STORE: 'PST_ERR_STORE',
	NO_KEY: 'PST_ERR_NO_KEY',
	IDENTITY: 'PST_ERR_IDENTITY',
	APPROVAL: 'PST_ERR_APPROVAL',
	UNTRUSTED: 'PST_ERR_UNTRUSTED',
});

/**
 * An error of a Client call. code: a Status value; message: one line for the person; httpStatus: the HTTP
 * status when the server answered (else 0); serverCode: the server's error code ("" when none).
 */
export class PstError extends Error {
	constructor(code, message, { httpStatus = 0, serverCode = '' } = {}) {
		super(message);
		this.name = 'PstError';
		this.code = code;
		this.httpStatus = httpStatus;
		this.serverCode = serverCode;
	}
}

/** Throw a PstError (a statement-position helper). */
export function fail(code, message, extra) {
	throw new PstError(code, message, extra);
}
