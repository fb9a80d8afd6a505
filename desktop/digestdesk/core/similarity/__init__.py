"""Similar papers and recommendations: papers as weighted term vectors, compared by cosine.

* :mod:`.terms`: what a paper's terms are (words and phrases; never numbers, versions, handles);
* :mod:`.vectors`: BM25 weights, pruned and normalised;
* :mod:`.model`: every paper's vector and an inverted index for top-k cosine;
* :mod:`.storage`: the model on disk next to the search index, following the database;
* :mod:`.recommend`: a reader's taste learned from their triage.

Pure Python (no numpy: the packaged app stays small); Qt-free like the rest of the core.
"""

from digestdesk.core.similarity.model import Match, SimilarityModel
from digestdesk.core.similarity.recommend import NotEnoughTriage, Recommendation, TasteModel
from digestdesk.core.similarity.storage import BuildAbandoned, SimilarityStore
from digestdesk.core.similarity.terms import Terms, paper_terms

__all__ = [
    "BuildAbandoned",
    "Match",
    "NotEnoughTriage",
    "Recommendation",
    "SimilarityModel",
    "SimilarityStore",
    "TasteModel",
    "Terms",
    "paper_terms",
]
