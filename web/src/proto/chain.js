/*
 * chain.js — a thread's membership as its verified chain of LINK statements computes it
 * (docs/protocol.md §15; proto_chain_* in src/proto/proto_statement.c). The caller checks each link's
 * signature with the actor device's certified key before applying it; this file applies the rules of who may
 * add and remove whom. A chain is a plain object: { threadId, kind, creator, head (32), length, members, ever }.
 */
import { ProtoError, must } from './errors.js';
import { checkBytes, equal } from './bytes.js';
import { IDS_MAX, LINK_ADD, LINK_CREATE, ST, THREAD_DIRECT, linkThreadId } from './statement.js';

/** An empty chain (no link applied). */
export function chainInit() {
  return { threadId: '', kind: 0, creator: '', head: new Uint8Array(32), length: 0, members: [], ever: [] };
}

/** True when userId is a member of chain c now. */
export function chainIsMember(c, userId) {
  return Boolean(c && c.members.includes(userId));
}

/**
 * Apply one parsed link (linkHash = statementHash of its bytes). On success c moves on (head, length,
 * members); on error c is unchanged. Throws INVALID_ARG, CHAIN.
 */
export function chainApply(c, link, linkHash) {
  must(c && link && link.type === ST.LINK, 'INVALID_ARG', 'not a link');
  checkBytes(linkHash, 32, 'link hash');
  const actor = link.actorUserId;
  const ids = link.ids;
  if (c.length === 0) { // the first link creates the thread, and only the first
    if (link.op !== LINK_CREATE || !equal(link.prev, new Uint8Array(32)) ||
        (link.kind === THREAD_DIRECT && ids.length !== 2) || ids.length < 2) throw new ProtoError('CHAIN', 'not a valid CREATE');
    if (!ids.includes(actor)) throw new ProtoError('CHAIN', 'the creator is not among the members');
    c.threadId = linkThreadId(linkHash);
    c.kind = link.kind;
    c.creator = actor;
    c.members = [...ids];
    c.ever = c.kind === THREAD_DIRECT ? [ids[0], ids[1]] : [];
  } else {
    if (!equal(link.prev, c.head) || link.op === LINK_CREATE || link.kind !== c.kind || ids.length !== 1)
      throw new ProtoError('CHAIN', 'does not extend the chain');
    const target = ids[0];
    const at = c.members.indexOf(target);
    if (link.op === LINK_ADD) {
      if (at >= 0 || c.members.length >= IDS_MAX) throw new ProtoError('CHAIN', 'already a member');
      if (c.kind === THREAD_DIRECT) { // one of its two people coming back, by themself
        if (actor !== target || !c.ever.includes(target)) throw new ProtoError('CHAIN', 'not one of the two');
      } else if (!c.members.includes(actor)) {
        throw new ProtoError('CHAIN', 'only a member adds someone');
      }
      c.members = [...c.members, target];
    } else { // REMOVE: yourself (leaving), or anyone by the creator while a member
      if (at < 0 || (actor !== target && (actor !== c.creator || !c.members.includes(actor))))
        throw new ProtoError('CHAIN', 'may not remove');
      c.members = c.members.filter((m) => m !== target);
    }
  }
  c.head = linkHash.slice();
  c.length += 1;
}
