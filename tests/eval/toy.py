"""A tiny invented corpus for the harness tests: nine passages, MuSiQue- and HotpotQA-style
questions over them. Small enough that every ranking is pinned exactly."""

from __future__ import annotations

import json
from pathlib import Path

# title -> sentences (HotpotQA style: a following sentence keeps its leading space)
PASSAGES: dict[str, list[str]] = {
    "Quillfeather Observatory": [
        "The Quillfeather Observatory was built in 1911 by the astronomer Vantongeren",
        " on a hill above Brackwater.",
    ],
    "Marisol Vantongeren": [
        "Marisol Vantongeren was born in Ostrelund, a fishing town on the Sarn estuary.",
    ],
    "Ostrelund": ["Ostrelund lies in the province of Kelvary and is known for its salt markets."],
    "Brackwater": ["Brackwater is a market town on the river Idle, famous for its copper bells."],
    "Tobias Renn": [
        "Tobias Renn composed the opera The Glass Heron,",
        " first staged in Valdoria in 1887.",
    ],
    "The Glass Heron": ["The Glass Heron is an opera in three acts about a lighthouse keeper."],
    "Valdoria": ["Valdoria is the capital of the island nation of Meriva."],
    "Sarn estuary": ["The Sarn estuary is a wide tidal inlet, home to flocks of wading birds."],
}
EXTRA = {"Meriva": ["Meriva is an island nation in the Pellucid Sea."]}


def text(title: str) -> str:
    return "".join(PASSAGES.get(title) or EXTRA[title])


def paragraph(idx: int, title: str, supporting: bool) -> dict:
    return {"idx": idx, "title": title, "paragraph_text": text(title), "is_supporting": supporting}


MUSIQUE = [
    {
        "id": "q1",
        "question": "In which town was the builder of the Quillfeather Observatory born?",
        "answer": "Ostrelund",
        "paragraphs": [
            paragraph(0, "Quillfeather Observatory", True),
            paragraph(1, "Marisol Vantongeren", True),
            paragraph(2, "Brackwater", False),
            paragraph(3, "Sarn estuary", False),
        ],
    },
    {
        "id": "q2",
        "question": "In which province was Marisol Vantongeren born?",
        "answer": "Kelvary",
        "paragraphs": [
            paragraph(0, "Marisol Vantongeren", True),
            paragraph(1, "Ostrelund", True),
            paragraph(2, "Valdoria", False),
        ],
    },
    {
        "id": "q3",
        "question": "Who composed the opera The Glass Heron?",
        "answer": "Tobias Renn",
        "paragraphs": [
            paragraph(0, "Tobias Renn", True),
            paragraph(1, "The Glass Heron", True),
            paragraph(2, "Ostrelund", False),
        ],
    },
]

HOTPOT = [
    {
        "_id": "h1",
        "question": "Which island nation has as its capital the city where The Glass Heron was "
        "first staged?",
        "answer": "Meriva",
        "type": "bridge",
        "supporting_facts": [["Tobias Renn", 1], ["Valdoria", 0]],
        "context": [[t, PASSAGES[t]] for t in ("Tobias Renn", "Valdoria", "Brackwater")],
    },
    {
        "_id": "h2",
        "question": "On which river is the town below the Quillfeather Observatory?",
        "answer": "Idle",
        "type": "bridge",
        "supporting_facts": [["Quillfeather Observatory", 1], ["Brackwater", 0]],
        "context": [
            [t, PASSAGES[t]] for t in ("Quillfeather Observatory", "Brackwater", "Ostrelund")
        ],
    },
]

CORPUS = [{"title": t, "text": text(t)} for t in [*PASSAGES, *EXTRA]]
# the MuSiQue records' own paragraphs, deduplicated, in first-seen order
MUSIQUE_TITLES = [
    "Quillfeather Observatory",
    "Marisol Vantongeren",
    "Brackwater",
    "Sarn estuary",
    "Ostrelund",
    "Valdoria",
    "Tobias Renn",
    "The Glass Heron",
]


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
