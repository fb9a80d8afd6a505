"""Deterministic synthetic paper entries: the ``--demo`` library and the benchmarks' data.

:func:`generate_entries` yields :class:`~digestdesk.core.drafts.EntryDraft` objects that look
like a research-paper digest: ML-flavoured titles and abstracts drawn from a vocabulary of a few
thousand words with Zipf-like frequencies (a handful of very common words, a long tail of rare
ones, as in real text, which matters for search timings), topical clusters (so "more like
this" has something to find), recurring authors, dates spread over three years, heavy-tailed
votes, GitHub links on about 40% of entries, and some user state (status, tags, notes).

The same ``(n, seed)`` always gives the same entries, on every platform and Python version
(only :class:`random.Random` with explicit seeding and fixed word lists are used).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from digestdesk.core.drafts import (
    STATUSES,
    Appearance,
    DigestDraft,
    EntryDraft,
    Link,
    ParseResult,
    UserState,
)

#: The last day of the generated three years (fixed, so output never depends on today).
END_DATE = date(2025, 12, 31)
SPAN_DAYS = 3 * 365


def _words(text: str) -> list[str]:
    return text.split()


# Real ML vocabulary: (topic, phrases). Topics make papers cluster; phrases feed titles,
# keywords and abstracts.
_TOPICS: dict[str, list[str]] = {
    "language": [
        "large language models",
        "instruction tuning",
        "in-context learning",
        "tokenization",
        "chain-of-thought reasoning",
        "retrieval-augmented generation",
        "long context",
        "preference optimization",
        "reward models",
        "hallucination",
        "decoding strategies",
        "speculative decoding",
        "mixture of experts",
        "pretraining corpora",
        "alignment",
    ],
    "vision": [
        "image classification",
        "object detection",
        "semantic segmentation",
        "vision transformers",
        "self-supervised learning",
        "contrastive learning",
        "image generation",
        "diffusion models",
        "video understanding",
        "depth estimation",
        "visual grounding",
        "image editing",
        "super-resolution",
        "optical flow",
    ],
    "multimodal": [
        "vision-language models",
        "multimodal reasoning",
        "image captioning",
        "visual question answering",
        "text-to-image generation",
        "audio-visual learning",
        "document understanding",
        "interleaved generation",
        "cross-modal retrieval",
    ],
    "reinforcement": [
        "reinforcement learning",
        "policy optimization",
        "offline reinforcement learning",
        "reward shaping",
        "exploration",
        "model-based planning",
        "multi-agent systems",
        "world models",
        "imitation learning",
        "value functions",
    ],
    "robotics": [
        "robot manipulation",
        "embodied agents",
        "sim-to-real transfer",
        "motion planning",
        "legged locomotion",
        "grasping",
        "visuomotor policies",
        "humanoid control",
    ],
    "efficiency": [
        "quantization",
        "pruning",
        "knowledge distillation",
        "low-rank adaptation",
        "parameter-efficient fine-tuning",
        "efficient attention",
        "inference acceleration",
        "memory efficiency",
        "sparse computation",
        "kv cache compression",
    ],
    "theory": [
        "generalization bounds",
        "optimization landscape",
        "scaling laws",
        "neural tangent kernel",
        "implicit regularization",
        "sample complexity",
        "convergence analysis",
        "in-context learning theory",
        "grokking",
    ],
    "graphs": [
        "graph neural networks",
        "message passing",
        "molecular property prediction",
        "protein structure prediction",
        "drug discovery",
        "knowledge graphs",
        "link prediction",
        "geometric deep learning",
    ],
    "speech": [
        "speech recognition",
        "text-to-speech",
        "speaker verification",
        "audio generation",
        "music generation",
        "spoken language understanding",
        "speech translation",
    ],
    "agents": [
        "llm agents",
        "tool use",
        "code generation",
        "web navigation",
        "program synthesis",
        "software engineering agents",
        "planning with language models",
        "benchmarks",
    ],
    "safety": [
        "adversarial robustness",
        "jailbreak attacks",
        "red teaming",
        "interpretability",
        "mechanistic interpretability",
        "watermarking",
        "privacy",
        "unlearning",
        "fairness",
    ],
    "3d": [
        "neural radiance fields",
        "gaussian splatting",
        "3d reconstruction",
        "novel view synthesis",
        "point clouds",
        "mesh generation",
        "scene understanding",
    ],
}

# Frequent words of scientific English, roughly by frequency (they head the Zipf ranking).
_COMMON = _words(
    "model models method approach results performance data learning training task tasks "
    "show propose based new framework paper work existing demonstrate using novel "
    "experiments state-of-the-art benchmark benchmarks significantly improve improves "
    "improved achieve achieves large-scale evaluation evaluate across multiple different "
    "various specific however while further key effective efficient simple strong "
    "representation representations network networks neural deep architecture features "
    "generation generative quality accuracy baseline baselines compared prior previous "
    "problem problems challenge challenges limited critical capabilities ability "
    "approaches methods techniques study analysis insights understanding framework "
    "dataset datasets training-free zero-shot few-shot fine-tuning pretrained scale "
    "scaling compute computational cost costs efficient robust robustness generalization "
    "outperforms outperform consistently substantially remarkable competitive comprehensive "
    "extensive empirical theoretical practical real-world downstream general-purpose "
    "open-source release code available publicly models trained objective loss function "
    "optimization gradient parameters layers attention transformer transformers tokens "
    "token sequence sequences inputs outputs input output information structure "
    "distribution distributions samples sampling inference time memory latency throughput "
    "accuracy precision recall metric metrics human humans preference feedback signal "
    "signals domain domains settings setting scenarios scenario environment environments "
    "agent agents policy policies reward rewards action actions state states trajectory "
    "trajectories language text images image video videos audio visual spatial temporal "
    "semantic context contextual knowledge reasoning retrieval memory modules module "
    "component components pipeline stage stages step steps process strategy strategies "
    "mechanism mechanisms design designs module level levels high low small large fast "
    "slow complex simple hierarchical global local adaptive dynamic static sparse dense"
)

_ADJECTIVES = _words(
    "unified scalable efficient robust lightweight adaptive hierarchical modular "
    "self-supervised multimodal generalist compositional interpretable controllable "
    "data-efficient memory-efficient training-free plug-and-play end-to-end"
)

_NOUNS = _words(
    "framework method approach architecture benchmark pipeline recipe objective "
    "model agent system dataset toolkit"
)

_FIRST = _words(
    "Wei Jian Yu Xin Li Hao Ming Yang Chen Jun Kai Lei Ning Bo Tao Jing Yan Hui "
    "Anna Maria Elena Sara Laura Julia Emma Sofia Clara Nina Olga Irina Lea Marta "
    "James John Michael David Daniel Thomas Alex Ben Sam Noah Lucas Leo Adam Omar "
    "Ahmed Ali Hassan Raj Arjun Rohan Priya Ananya Kavya Ravi Sanjay Vikram "
    "Hiroshi Takumi Yuki Haruto Sora Min-jun Ji-woo Seo-yeon Carlos Diego Pablo Lucia"
)

_LAST = _words(
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo "
    "Smith Johnson Brown Garcia Miller Davis Martinez Lopez Wilson Anderson Taylor Thomas "
    "Moore Jackson Martin Lee Thompson White Harris Clark Lewis Walker Hall Young King "
    "Kumar Singh Sharma Patel Gupta Reddy Iyer Nair Rao Das "
    "Tanaka Suzuki Sato Takahashi Watanabe Kim Park Choi Jung Kang "
    "Müller Schmidt Schneider Fischer Weber Dubois Laurent Rossi Russo Novak Kowalski Ivanova"
)

_ORGS = (
    "Google DeepMind",
    "Meta AI",
    "Microsoft Research",
    "OpenAI",
    "Anthropic",
    "NVIDIA",
    "Tsinghua University",
    "Peking University",
    "Stanford University",
    "MIT",
    "UC Berkeley",
    "Carnegie Mellon University",
    "ETH Zurich",
    "University of Oxford",
    "Alibaba Group",
    "ByteDance",
    "Tencent",
    "Hugging Face",
    "Allen Institute for AI",
    "Mila",
    "KAIST",
    "University of Tokyo",
    "Shanghai AI Laboratory",
    "Apple",
    "Amazon",
)

_CATEGORIES = {
    "language": "cs.CL",
    "vision": "cs.CV",
    "multimodal": "cs.CV",
    "reinforcement": "cs.LG",
    "robotics": "cs.RO",
    "efficiency": "cs.LG",
    "theory": "stat.ML",
    "graphs": "cs.LG",
    "speech": "eess.AS",
    "agents": "cs.AI",
    "safety": "cs.CR",
    "3d": "cs.CV",
}

_USER_TAGS = (
    "to-read",
    "important",
    "survey",
    "baseline",
    "reproduce",
    "teaching",
    "cite",
    "follow-up",
    "dataset",
    "favourite",
)

_NOTES = (
    "Compare with our baseline.",
    "Check the ablation in section 4.",
    "Code looks clean.",
    "Relevant for the related-work section.",
    "Results seem too good; verify.",
    "Try this on our data.",
    "Good figures for the talk.",
)

_SYLLABLES = _words(
    "ka to ri mu se na lo vi ra te po qua zen dar mor lex syn tri phor vex cor tal nim "
    "bro gen sta plu fer gal hex ion jun kir lum mag nor oct pel quin rho sig tor ul "
    "val wex xen yor zel"
)

_CONNECTORS = _words(
    "of the and in to for with on by from that is are we our this which as an a at be "
    "can these their it its also than into over under between through without both"
)


def _tail_words(rng: random.Random, count: int) -> list[str]:
    """Made-up rare technical words (model names, coined terms) for the vocabulary's tail."""
    words: dict[str, None] = {}
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.3:
            word += rng.choice(("net", "former", "gpt", "diff", "bench", "ing", "ation", "s"))
        words[word] = None
    return list(words)


class _Vocabulary:
    """Words with Zipf-like frequencies: ``sample(k)`` draws ``k`` words by (rank + 4) ** -1.05."""

    def __init__(self, rng: random.Random, size: int = 5000) -> None:
        topical = sorted({w for phrases in _TOPICS.values() for p in phrases for w in p.split()})
        ordered = list(dict.fromkeys(_COMMON + topical + _ADJECTIVES))
        ordered += _tail_words(rng, max(0, size - len(ordered)))
        self.words = ordered
        self.head = ordered[:300]
        self.tail = ordered[-2500:]
        self.cum_weights = list(
            itertools.accumulate((rank + 4) ** -1.05 for rank in range(1, len(ordered) + 1))
        )

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=k)


def _sentence(rng: random.Random, vocab: _Vocabulary, topic_words: list[str], n: int) -> str:
    # Each word is a connector (35%), a topic word (15%) or a vocabulary word (50%).
    pools = (_CONNECTORS, topic_words, vocab.sample(rng, n))
    kinds = rng.choices((0, 1, 2), cum_weights=(35, 50, 100), k=n)
    picks = [rng.random() for _ in range(n)]
    text = " ".join(
        pools[kind][i] if kind == 2 else pools[kind][int(pick * len(pools[kind]))]
        for i, (kind, pick) in enumerate(zip(kinds, picks, strict=True))
    )
    return text[:1].upper() + text[1:] + "."


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _title(rng: random.Random, vocab: _Vocabulary, topic: list[str], name: str) -> str:
    phrase = rng.choice(topic)
    other = rng.choice(topic)
    adj = rng.choice(_ADJECTIVES)
    noun = rng.choice(_NOUNS)
    pattern = rng.randrange(7)
    if pattern == 0:
        return f"{name}: {adj.capitalize()} {phrase.title()} via {other.title()}"
    if pattern == 1:
        return f"Towards {adj.capitalize()} {phrase.title()}"
    if pattern == 2:
        return f"{phrase.title()} Is Not All You Need for {other.title()}"
    if pattern == 3:
        return f"{name}: {_a(adj).capitalize()} {noun.capitalize()} for {phrase.title()}"
    if pattern == 4:
        extra = " ".join(vocab.sample(rng, 2)).title()
        return f"Scaling {phrase.title()} with {extra}"
    if pattern == 5:
        return f"Rethinking {phrase.title()}: {adj.capitalize()} {noun.capitalize()}s Revisited"
    return f"On the {rng.choice(vocab.head).title()} of {phrase.title()}"


def _model_name(rng: random.Random, vocab: _Vocabulary) -> str:
    base = rng.choice(vocab.tail)
    style = rng.randrange(4)
    if style == 0:
        return base.capitalize()
    if style == 1:
        return base[:4].upper() + base[4:]
    if style == 2:
        return f"{base.capitalize()}-{rng.choice(('7B', 'XL', 'R1', 'V2', 'Pro', 'Zero'))}"
    return base.upper()[:6]


def generate_entries(n: int, seed: int = 0) -> Iterator[EntryDraft]:
    """Yield ``n`` realistic, reproducible paper entries (with some user state)."""
    rng = random.Random(seed)
    vocab = _Vocabulary(random.Random(f"vocab-{seed}"))
    topics = list(_TOPICS)
    # A pool of recurring authors with Zipf-like productivity.
    pool = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(max(50, n // 3))]
    pool = list(dict.fromkeys(pool))
    author_weights = list(itertools.accumulate(1.0 / (rank + 50) for rank in range(len(pool))))
    start = END_DATE - timedelta(days=SPAN_DAYS - 1)
    per_month: dict[tuple[int, int], int] = {}
    status_weights = (70, 10, 5, 12, 3)  # unread queued reading read skipped
    for i in range(n):
        topic_name = topics[min(int(rng.paretovariate(0.9)) - 1, len(topics) - 1)]
        if rng.random() < 0.5:
            topic_name = rng.choice(topics)
        topic = _TOPICS[topic_name]
        topic_words = sorted({w for p in topic for w in p.split()})
        name = _model_name(rng, vocab)
        title = _title(rng, vocab, topic, name)

        main, other = rng.sample(topic, 2)
        sentences = [
            f"{main.capitalize()} has become central to {rng.choice(vocab.head)} "
            f"{rng.choice(vocab.head)}, yet {other} remains {rng.choice(_ADJECTIVES)}.",
            f"We propose {name}, {_a(rng.choice(_ADJECTIVES))} {rng.choice(_NOUNS)} that "
            f"combines {main} with {other}.",
        ]
        for _ in range(rng.randint(4, 9)):
            sentences.append(_sentence(rng, vocab, topic_words, rng.randint(12, 28)))
        gain = rng.randint(2, 35)
        sentences.append(
            f"Experiments on {rng.randint(3, 12)} benchmarks show that {name} improves "
            f"{rng.choice(('accuracy', 'efficiency', 'robustness', 'performance'))} by "
            f"{gain}% over strong baselines."
        )
        if rng.random() < 0.4:
            sentences.append("Code and models are publicly available.")
        abstract = " ".join(sentences)

        day = start + timedelta(days=min(SPAN_DAYS - 1, int(rng.random() * SPAN_DAYS)))
        month_key = (day.year, day.month)
        per_month[month_key] = per_month.get(month_key, 0) + 1
        arxiv_id = f"{day.year % 100:02d}{day.month:02d}.{per_month[month_key]:05d}"

        authors = list(
            dict.fromkeys(rng.choices(pool, cum_weights=author_weights, k=rng.randint(1, 9)))
        )
        votes = min(2000, int(rng.paretovariate(1.1)) - 1 + rng.randint(0, 5))
        links = [Link(f"https://arxiv.org/abs/{arxiv_id}", "paper")]
        github_repo = github_stars = project_page = None
        if rng.random() < 0.4:
            slug = name.lower().replace(" ", "-")
            github_repo = f"{rng.choice(_LAST).lower()}-lab/{slug}"
            github_stars = int(rng.paretovariate(0.8) * 5)
            links.append(Link(f"https://github.com/{github_repo}", "code"))
        if rng.random() < 0.15:
            project_page = f"https://{name.lower()}.github.io/"
            links.append(Link(project_page, "project"))

        status = rng.choices(STATUSES, weights=status_weights)[0]
        tags = rng.sample(_USER_TAGS, rng.randint(1, 3)) if rng.random() < 0.2 else []
        note = rng.choice(_NOTES) if rng.random() < 0.08 else None
        added = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(days=1)
        keywords = rng.sample(topic, min(len(topic), rng.randint(3, 5)))

        yield EntryDraft(
            title=title,
            abstract=abstract,
            arxiv_id=arxiv_id,
            authors=authors,
            published=day,
            votes=votes,
            links=links,
            categories=[_CATEGORIES[topic_name]],
            ai_summary=f"{name} is {_a(rng.choice(_NOUNS))} for {main} that improves results "
            f"by {gain}%.",
            ai_keywords=keywords,
            github_repo=github_repo,
            github_stars=github_stars,
            project_page=project_page,
            organization=rng.choice(_ORGS) if rng.random() < 0.7 else None,
            num_comments=rng.randint(0, 12),
            digest_date=day + timedelta(days=rng.randint(1, 3)),
            where=f"demo {i + 1}",
            user_state=UserState(
                status=status,
                tags=tags,
                note=note,
                note_edited_at=added if note else None,
                added_at=added,
            ),
        )


def demo_result(n: int, seed: int = 0) -> ParseResult:
    """The ``--demo`` library as one input: :func:`generate_entries`, each paper in the digest
    of its ``digest_date`` (so the demo has digests, as a real library: the reader's "In the
    digest of", the sidebar's For you and last digest)."""
    entries = list(generate_entries(n, seed))
    days = sorted({e.digest_date for e in entries if e.digest_date is not None})
    digests = [
        DigestDraft(
            key=day.isoformat(),
            source_kind="demo",
            file_name=None,
            digest_date=day,
            imported_at=datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC),
        )
        for day in days
    ]
    for entry in entries:
        if entry.digest_date is not None:
            entry.appearances = [
                Appearance(
                    entry.digest_date.isoformat(),
                    votes=entry.votes,
                    stars=entry.github_stars,
                    comments=entry.num_comments,
                )
            ]
    return ParseResult(format="digestdesk", entries=entries, digests=digests)
