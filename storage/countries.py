"""The 22 member states of the League of Arab States: ISO code, names, time zone."""

from __future__ import annotations

from typing import NamedTuple


class CountryInfo(NamedTuple):
    """Reference data for one member state."""

    code: str
    name_ar: str
    name_en: str
    name_fr: str
    timezone: str

    def name(self, language: str) -> str:
        """The state's name in a language (Arabic when unknown)."""
        return str(getattr(self, f"name_{language}", self.name_ar))


COUNTRIES: tuple[CountryInfo, ...] = (
    CountryInfo("DZ", "الجزائر", "Algeria", "Algérie", "Africa/Algiers"),
    CountryInfo("BH", "البحرين", "Bahrain", "Bahreïn", "Asia/Bahrain"),
    CountryInfo("KM", "جزر القمر", "Comoros", "Comores", "Indian/Comoro"),
    CountryInfo("DJ", "جيبوتي", "Djibouti", "Djibouti", "Africa/Djibouti"),
    CountryInfo("EG", "مصر", "Egypt", "Égypte", "Africa/Cairo"),
    CountryInfo("IQ", "العراق", "Iraq", "Irak", "Asia/Baghdad"),
    CountryInfo("JO", "الأردن", "Jordan", "Jordanie", "Asia/Amman"),
    CountryInfo("KW", "الكويت", "Kuwait", "Koweït", "Asia/Kuwait"),
    CountryInfo("LB", "لبنان", "Lebanon", "Liban", "Asia/Beirut"),
    CountryInfo("LY", "ليبيا", "Libya", "Libye", "Africa/Tripoli"),
    CountryInfo("MR", "موريتانيا", "Mauritania", "Mauritanie", "Africa/Nouakchott"),
    CountryInfo("MA", "المغرب", "Morocco", "Maroc", "Africa/Casablanca"),
    CountryInfo("OM", "عُمان", "Oman", "Oman", "Asia/Muscat"),
    CountryInfo("PS", "فلسطين", "Palestine", "Palestine", "Asia/Hebron"),
    CountryInfo("QA", "قطر", "Qatar", "Qatar", "Asia/Qatar"),
    CountryInfo("SA", "المملكة العربية السعودية", "Saudi Arabia", "Arabie saoudite", "Asia/Riyadh"),
    CountryInfo("SO", "الصومال", "Somalia", "Somalie", "Africa/Mogadishu"),
    CountryInfo("SD", "السودان", "Sudan", "Soudan", "Africa/Khartoum"),
    CountryInfo("SY", "سوريا", "Syria", "Syrie", "Asia/Damascus"),
    CountryInfo("TN", "تونس", "Tunisia", "Tunisie", "Africa/Tunis"),
    CountryInfo(
        "AE",
        "الإمارات العربية المتحدة",
        "United Arab Emirates",
        "Émirats arabes unis",
        "Asia/Dubai",
    ),
    CountryInfo("YE", "اليمن", "Yemen", "Yémen", "Asia/Aden"),
)
"""Alphabetical by English name, as the League lists them in English documents."""

BY_CODE: dict[str, CountryInfo] = {country.code: country for country in COUNTRIES}


def country_name(code: str, language: str) -> str:
    """A member state's name in ar, en or fr (Arabic for any other language)."""
    info = BY_CODE[code]
    return {"en": info.name_en, "fr": info.name_fr}.get(language, info.name_ar)
