/*
 * protocol.js — the one door from the client engine to the protocol module (web/src/proto, the JavaScript
 * face of src/proto/proto.h: camelCase names, values returned instead of out-parameters, ProtoError thrown
 * with .code = the C error name without PROTO_E_). Every protocol operation the engine uses is named here
 * once, so that the rest of the engine reads like libpostern and a rename in the protocol module is one
 * line here. It must not implement any protocol step itself: it only calls the module.
 */
import * as P from '../proto/index.js';

/** The protocol function known by one of names (the module's spelling first); throws when it has none. */
function fn(...names) {
	return (...args) => {
		for (const n of names) if (typeof P[n] === 'function') return P[n](...args);
		throw new Error(`the protocol module has no ${names[0]}`);
	};
}

/** Constants of proto.h used by the engine (docs/protocol.md §13). */
export const ST = Object.freeze({
	IDENTITY: 0x20, DEVICE_CERT: 0x21, DEVICE_REVOKE: 0x22, PREKEY: 0x23, CONTACT: 0x24, LINK: 0x30,
	APP_AUTH: 0x40, APP_REVOKE: 0x41, APP_CONSENT: 0x42,
});
export const LINK = Object.freeze({ CREATE: 1, ADD: 2, REMOVE: 3 });
export const THREAD = Object.freeze({ DIRECT: 1, GROUP: 2 });
export const CONTACT = Object.freeze({ SEEN: 1, VERIFIED: 2, UNVERIFIED: 3 });
export const PREKEY = Object.freeze({ ONE_TIME: 1, SIGNED: 2 });
export const STATEMENT_MAX = 67220;
export const HANDOVER_SEALED_MAX = 494;
export const IDENTITY_BOX_MAX = 148;
export const BACKUP_MAX = 256;
export const ENVELOPE_MAX = 65317;
export const PLAINTEXT_MAX = 65024;
export const LOG_LEAF_MAX = 128;

export const ready = fn('ready', 'init');
export const deviceKeygen = fn('deviceKeygen');
export const deviceSignRegistration = fn('signRegistration', 'deviceSignRegistration');
export const deviceVerifyRegistration = fn('verifyRegistration', 'deviceVerifyRegistration');
export const deviceFingerprint = fn('deviceFingerprint');
export const recipientsHash = fn('recipientsHash');
export const outboundNew = fn('outboundNew');
export const outboundMustRotate = fn('outboundMustRotate');
export const inboundFromOutbound = fn('inboundFromOutbound');
export const encrypt = fn('encrypt');
export const envelopeDecode = fn('envelopeDecode');
export const plaintextToText = fn('plaintextToText');
export const decrypt = fn('decrypt');
export const handoverSeal = fn('handoverSeal');
export const handoverPeek = fn('handoverPeek');
export const handoverOpen = fn('handoverOpen');
export const prekeyNew = fn('prekeyNew');
export const outboundSave = fn('outboundSave');
export const outboundLoad = fn('outboundLoad');
export const inboundSave = fn('inboundSave');
export const inboundLoad = fn('inboundLoad');
const statementSignRaw = fn('statementSign');
const statementNew = fn('statementNew');
/** Sign st (only the fields its type uses need be given; the rest start empty) with sk: the statement bytes. */
export const statementSign = (st, sk) => statementSignRaw(Object.assign(statementNew(st.type), st), sk);
export const statementParse = fn('statementParse');
export const statementVerify = fn('statementVerify');
export const statementHash = fn('statementHash');
export const chainInit = fn('chainInit');
export const chainApply = fn('chainApply');
export const safetyNumber = fn('safetyNumber');
export const approvalCode = fn('approvalCode');
export const codeNormalize = fn('codeNormalize');
export const identityKeygen = fn('identityKeygen');
export const identityFromSeed = fn('identityFromSeed');
export const recoveryNew = fn('recoveryNew');
export const recoveryFormat = fn('recoveryFormat');
export const recoveryParse = fn('recoveryParse');
export const backupSeal = fn('backupSeal');
export const backupOpen = fn('backupOpen');
export const identityBoxSeal = fn('identityBoxSeal');
export const identityBoxOpen = fn('identityBoxOpen');
export const merkleLeafHash = fn('leafHash', 'merkleLeafHash');
export const merkleVerifyInclusion = fn('verifyInclusion', 'merkleVerifyInclusion');
export const merkleVerifyConsistency = fn('verifyConsistency', 'merkleVerifyConsistency');
export const noteVerifierParse = fn('noteVerifierParse');
export const noteOpen = fn('noteOpen');
export const checkpointParse = fn('checkpointParse');
export const logLabel = fn('logLabel');
export const logAccessEntry = fn('logAccessEntry');
export const logGrantEntry = fn('logGrantEntry');
export const frontierInit = fn('frontierInit');
export const frontierAppend = fn('frontierAppend');
export const frontierRoot = fn('frontierRoot');

/** True when e is a refusal of the protocol module with one of codes (or any refusal when none given). */
export function isProtoError(e, ...codes) {
	return !!e && e.name === 'ProtoError' && (codes.length === 0 || codes.includes(e.code));
}

/** Run f; its ProtoError becomes null (for "does it verify?" questions). Other errors propagate. */
export function attempt(f) {
	try {
		return f();
	} catch (e) {
		if (isProtoError(e)) return null;
		throw e;
	}
}
