"""Whatever a person sends, to whatever question, the engine answers and never raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import engine
from flows.loader import parse_flow
from flows.messages import Context, FileRef, Inbound
from flows.model import Choice, QType

TEXT = {"ar": "س", "en": "q", "fr": "q"}
EXTRA = {
    QType.CHOICE: {"choices": [{"code": "a", "label": TEXT}, {"code": "b", "label": TEXT}]},
    QType.MULTI_CHOICE: {"choices": [{"code": "a", "label": TEXT}, {"code": "b", "label": TEXT}]},
    QType.DB_CHOICE: {"source": "pledges"},
    QType.INTEGER: {"min": -5, "max": 5000},
    QType.DECIMAL: {"min": 0, "max": 99.5},
    QType.SECTION: {
        "repeat": True,
        "item_label": TEXT,
        "add_another": TEXT,
        "questions": [{"id": "inner", "type": "text", "text": TEXT}],
    },
}
QUESTIONS = [
    {
        "id": f"q_{qtype.value}",
        "type": qtype.value,
        "text": TEXT,
        "required": False,
        **EXTRA.get(qtype, {}),
    }
    for qtype in QType
]
FLOW = parse_flow(
    {"id": "every_type", "title": TEXT, "intro": TEXT, "questions": QUESTIONS}, "every_type.yaml"
)
CTX = Context(
    now=datetime(2026, 1, 1, tzinfo=UTC),
    language="ar",
    person_id=1,
    channel="t",
    sources={"pledges": (Choice("P-1", TEXT),)},
)

unicode_text = st.text(st.characters(codec="utf-8"), max_size=60)
arabic_text = st.text(st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), max_size=30)
inbounds = st.one_of(
    st.builds(Inbound, text=unicode_text),
    st.builds(Inbound, text=arabic_text),
    st.builds(
        Inbound,
        text=st.sampled_from(
            [
                "1",
                "٢",
                "۳",
                "yes",
                "لا",
                "رجوع",
                "تخطي",
                "2, 1",
                "20/6/2025",
                "١٤٤٦ هـ",
                "keep",
                "help",
                "a@b.co",
            ]
        ),
    ),
    st.builds(
        Inbound,
        choice=st.sampled_from(["a", "b", "yes", "other", "P-1", "zz", "1"]),
        question=st.one_of(st.none(), unicode_text),
    ),
    st.builds(
        Inbound,
        command=st.sampled_from(["back", "skip", "cancel", "help", "keep", "done", "nonsense"]),
    ),
    st.builds(Inbound, file=st.builds(FileRef, ref=unicode_text, name=unicode_text)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(inbounds, min_size=1, max_size=25))
def test_any_sequence_of_messages_gets_an_answer_every_time(messages: list[Inbound]) -> None:
    state = engine.start(FLOW, CTX).state
    for inbound in messages:
        result = engine.step(FLOW, json.loads(json.dumps(state)), inbound, CTX)
        assert result.replies or result.submitted, f"no reply to {inbound!r}"
        assert all(reply.text.strip() for reply in result.replies)
        state = result.state
        if result.finished:
            state = engine.start(FLOW, CTX).state
