"""A Whoosh segment writer for bulk imports and rebuilds that keeps its postings in memory.

Whoosh's writer sends every posting through an external sort (``PostingPool``): each one is
size-estimated, pickled to a run file when the pool is full, read back and merged with a heap,
and the field writer then looks up the document's field length per posting. Measured on a 10k
import here that was ~44% of the writer's time (``pickle.dump`` per posting alone 25%). A bulk
segment is bounded by ``rebuild_batch`` documents, so its postings fit in memory: this writer
groups them per field and term as they come (documents arrive in docnum order, so each term's
list is already sorted), sorts the terms once at the end, reads each field's lengths once, and
feeds Whoosh's own field writer the same calls in the same order as Whoosh's sort would. The
segment's files are therefore the same bytes as Whoosh's writer makes (a test compares them),
and any Whoosh reader opens them.

Only for documents added one by one and committed without merging (what bulk writes do);
merging other segments in goes through Whoosh's writer.
"""

from __future__ import annotations

from typing import Any

from whoosh.util.text import utf8encode
from whoosh.writing import SegmentWriter

#: Per field, per term: the postings flattened as docnum, weight, value bytes, docnum, ...
Pool = dict[str, dict[bytes, list[Any]]]


class BulkSegmentWriter(SegmentWriter):  # type: ignore[misc]  # Whoosh has no type hints
    """``ix.writer(compound=..., ...)`` for one bulk segment, with the postings in memory."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self._postings: Pool = {}
        self._spelling: set[str] = set()  # fields whose postings are not in docnum order

    def add_reader(self, reader: Any) -> None:
        raise TypeError("a bulk segment writer does not merge segments")

    def add_document(self, **fields: Any) -> None:
        """Whoosh's ``SegmentWriter.add_document`` (3.54.0) with its posting pool replaced by
        appends to the term's list: no tuple, no method call, no size estimate per posting."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        postings = self._postings

        docboost = self._doc_boost(fields)
        fieldnames = sorted([name for name in fields if not name.startswith("_")])
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]

                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    terms = postings.get(fieldname)
                    if terms is None:
                        terms = postings[fieldname] = {}
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in field.index(value):
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        found = terms.get(tbytes)
                        if found is None:
                            terms[tbytes] = [docnum, weight, vbytes]
                        else:
                            found += (docnum, weight, vbytes)

                if field.separate_spelling():
                    spellname = field.spelling_fieldname(fieldname)
                    self._spelling.add(spellname)
                    spelling = postings.setdefault(spellname, {})
                    for word in field.spellable_words(value):
                        # Whoosh posts each spelling word as document 0, weight 1 (and,
                        # as it does, with the last value bytes of the field)
                        spelling.setdefault(utf8encode(word)[0], []).extend((0, 1, vbytes))

                vformat = field.vector
                if vformat:
                    vitems = vformat.word_values(value, field.analyzer, mode="index")
                    vitems = sorted((text, w, vb) for text, _, w, vb in vitems)
                    perdocwriter.add_vector_items(fieldname, field, vitems)

                customval = fields.get(f"_stored_{fieldname}", value)
                stored = customval if field.stored else None
                perdocwriter.add_field(fieldname, field, stored, length)

                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except ValueError:
            perdocwriter.cancel_doc()
            raise

        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        """Write the postings: fields and terms in sorted order, each term's postings in
        docnum order, with each document's field length read once per field."""
        self.perdocwriter.close()
        lengths_reader = self.per_document_reader() if self.codec.length_stats else None
        writer = self.fieldwriter
        add = writer.add
        count = self.docnum
        try:
            for fieldname in sorted(self._postings):
                terms = self._postings[fieldname]
                lengths = _field_lengths(lengths_reader, fieldname, count)
                writer.start_field(fieldname, self.schema[fieldname])
                for tbytes in sorted(terms):
                    flat = terms[tbytes]
                    if fieldname in self._spelling:  # all document 0: Whoosh's tuple order
                        triples = zip(flat[::3], flat[1::3], flat[2::3], strict=True)
                        flat = [x for posting in sorted(triples) for x in posting]
                    writer.start_term(tbytes)
                    for i in range(0, len(flat), 3):
                        docnum = flat[i]
                        add(docnum, flat[i + 1], flat[i + 2] or b"", lengths[docnum])
                    writer.finish_term()
                writer.finish_field()
            self._postings = {}
            writer.close()
        finally:
            if lengths_reader is not None:
                lengths_reader.close()


def _field_lengths(reader: Any, fieldname: str, count: int) -> list[Any]:
    """Every document's length of ``fieldname`` as Whoosh's field writer would look each one
    up (its stored byte decoded; 0 without lengths)."""
    if reader is None:
        return [0] * count
    get = reader.doc_field_length_reader(fieldname)
    return [get(docnum) for docnum in range(count)]
