"""The window's use cases, one controller each: what a command does and how views follow.

Each controller owns the handlers of its actions (marked ``@handles("action.id")`` where they
are written and bound by :meth:`ActionRegistry.bind <digestdesk.ui.actions.ActionRegistry.bind>`),
its timers and its background requests; it reacts to finished jobs by subscribing to the
:class:`~digestdesk.ui.change_hub.ChangeHub`. They depend on each other one way only, lower
layers first:

- ``reader``: the entry shown in the reader, its details cache and read-ahead, its links;
- ``search``: the query, its results in the list, the counts, the index-not-ready message;
- ``tags``: the tags in use (offered by the tag editors);
- ``writes``: library writes from the window, their undo labels, a failed write's message;
- ``related``: related papers of the entry shown;
- ``sessions``: reading sessions (a page of its own, one entry at a time);
- ``place``: where the reader was in this library (entry, search, sort, scroll, reader tab),
  saved at close and restored at the next start;
- ``navigation``: moving in the list and the reader, the next unread entry, back and forward
  through the entries visited, jumping to an entry;
- ``triage``: status, tags, notes, undo and redo, selection;
- ``imports``: files, the clipboard, drops, the demo, and building the search index;
- ``fetching``: fetching new digests from the network;
- ``trends``: the trends sidebar;
- ``window_commands``: panes shown, the palette, the help, the keymap editor, quitting.
"""
