/*
 * catalogue.js — the titles Tunes offers (made up). The item id is what a share carries in the clear: the
 * app's own opaque id of a title (docs/partner.md), never the note, which is encrypted.
 */
export const TITLES = Object.freeze([
	{ item: 'track:harbour-lights', title: 'Harbour Lights', artist: 'The Quiet Tides', kind: 'Single', cover: 1 },
	{ item: 'album:paper-moons', title: 'Paper Moons', artist: 'Ada Lindqvist', kind: 'Album', cover: 2 },
	{ item: 'track:slow-river', title: 'Slow River', artist: 'Mbeki & the Wires', kind: 'Single', cover: 3 },
	{ item: 'album:night-bus', title: 'Night Bus', artist: 'Orla Finch', kind: 'Album', cover: 4 },
	{ item: 'podcast:field-notes-12', title: 'Field Notes #12', artist: 'Field Notes', kind: 'Podcast', cover: 5 },
	{ item: 'track:copper-sky', title: 'Copper Sky', artist: 'Kenji Aoyama', kind: 'Single', cover: 6 },
]);

/** The title of an item id, or a stand-in for one this catalogue does not know. */
export const titleOf = (item) => TITLES.find((t) => t.item === item) || { item, title: item, artist: '', kind: 'Item', cover: 0 };
