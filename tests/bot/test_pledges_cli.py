"""`pledges import` and `pledges export`: the registry as a CSV file the secretariat keeps."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from bot.cli import main
from bot.config import Settings
from storage.models import Pledge
from tests.processes import ROOT

SAMPLE = ROOT / "docs" / "pledges.sample.csv"
HEADER = "reference,state,forum,area,title_ar,title_en,title_fr"


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["pledges", *args], settings=settings, stdout=out), out.getvalue()


def _pledges(settings: Settings) -> dict[str, Pledge]:
    engine = create_engine(settings.database)
    try:
        with Session(engine) as session:
            found = session.exec(select(Pledge).order_by(col(Pledge.reference))).all()
            return {p.reference: p for p in found}
    finally:
        engine.dispose()


def test_the_sample_imports_and_exports_back_to_the_same_file(
    settings: Settings, tmp_path: Path
) -> None:
    status, said = _run(settings, "import", str(SAMPLE))
    assert (status, said) == (0, f"{SAMPLE}: 8 pledge(s) added, 0 updated, 0 unchanged\n")
    jordan = _pledges(settings)["GRF-2019-JO-01"]
    assert jordan.titles == {
        "ar": "وصول اللاجئين إلى تصاريح العمل في القطاعات المفتوحة",
        "en": "Access of refugees to work permits in open sectors",
        "fr": "Accès des réfugiés aux permis de travail dans les secteurs ouverts",
    }

    exported = tmp_path / "registry.csv"
    assert _run(settings, "export", "--out", str(exported))[0] == 0

    # Byte for byte: the BOM, the columns, the state-by-state order and CRLF lines.
    assert exported.read_bytes() == SAMPLE.read_bytes()
    again = _run(settings, "import", str(exported))[1]
    assert again.endswith("0 pledge(s) added, 0 updated, 8 unchanged\n")


def test_export_to_stdout_is_the_default(settings: Settings) -> None:
    _run(settings, "import", str(SAMPLE))
    status, text = _run(settings, "export")
    assert status == 0
    assert text.startswith("\ufeff" + HEADER + "\r\n")
    assert len(text.splitlines()) == 9


def test_importing_again_updates_by_reference_and_leaves_the_others(
    settings: Settings, tmp_path: Path
) -> None:
    _run(settings, "import", str(SAMPLE))
    changed = tmp_path / "changed.csv"
    # Without a BOM this time, as a script would write it; the title in French is new.
    changed.write_text(
        f"{HEADER}\n"
        "GRF-2023-LB-01,LB,grf_2023,legal_identity,تسجيل ولادات اللاجئين في السجل المدني,"
        "Civil registration of refugee births,Enregistrement des naissances des réfugiés\n"
        "GRF-2026-LB-02,lb,imrf_2026,,,Labour mobility pathways,\n",
        encoding="utf-8",
    )

    status, said = _run(settings, "import", str(changed))

    assert (status, said) == (0, f"{changed}: 1 pledge(s) added, 1 updated, 0 unchanged\n")
    pledges = _pledges(settings)
    assert len(pledges) == 9  # the six the file does not name are still there
    assert pledges["GRF-2023-LB-01"].title_fr == "Enregistrement des naissances des réfugiés"
    assert pledges["GRF-2023-LB-01"].title_ar == "تسجيل ولادات اللاجئين في السجل المدني"
    assert pledges["GRF-2026-LB-02"].country_code == "LB"


def test_a_mistake_names_its_line_and_column_and_nothing_is_imported(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(
        f"\ufeff{HEADER}\r\n"
        "GRF-2019-JO-01,JO,grf_2019,,,Work permits,\r\n"
        '"IMRF-2022-XX-01",XX,imrf_2022,,,"Two lines\nof title",\r\n'
        "GRF-2023-EG-01,EG,GRF 2023,,,,\r\n",
        encoding="utf-8",
    )

    status, said = _run(settings, "import", str(wrong))

    assert (status, said) == (2, "")
    assert capsys.readouterr().err.splitlines() == [
        f"error: {wrong}, line 3, column 2 (state): "
        "'XX' is not a member state's two-letter code (JO, MA, EG …)",
        f"error: {wrong}, line 5, column 3 (forum): "
        "'GRF 2023' is not a forum code (lower case, digits and _, e.g. grf_2023)",
        f"error: {wrong}, line 5, column 6 (title_en): "
        "no title in any language (title_ar, title_en, title_fr)",
        f"{wrong}: nothing imported",
    ]
    assert _pledges(settings) == {}  # not even line 2, which was right


def test_a_wrong_header_is_refused_with_what_was_expected(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("reference,state,forum,title\nGRF-1,JO,grf_2019,Permits\n", encoding="utf-8")

    assert _run(settings, "import", str(wrong))[0] == 2

    assert capsys.readouterr().err.splitlines()[:2] == [
        f"error: {wrong}, line 1: unknown column 'title' (column 4); expected {HEADER}",
        f"error: {wrong}, line 1: missing column(s): area, title_ar, title_en, title_fr",
    ]


def test_a_file_that_is_not_utf8_is_refused_in_one_line(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(f"{HEADER}\nGRF-1,MA,grf_2019,,,,Intégration\n".encode("cp1252"))

    assert _run(settings, "import", str(legacy))[0] == 2

    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {legacy}: not UTF-8 text")
