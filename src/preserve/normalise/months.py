"""Month names in the EU's 24 official languages, as dates write them: the nominative,
the inflected forms that follow a day number (Polish "5 grudnia", Czech "5. prosince",
Greek "5 Δεκεμβρίου", Latvian "5. decembrī", Finnish "5. joulukuuta") and the usual
abbreviations. Keys are matched case-folded and without diacritics (``fold``), so
"Décembre", "decembre" and "DÉC." are one name.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "month_number"]

# One line per month, January first; each a space-separated list of forms.
_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("january jan", "february feb", "march mar", "april apr", "may", "june jun",
           "july jul", "august aug", "september sep sept", "october oct", "november nov",
           "december dec"),
    "de": ("januar jan jänner jän", "februar feb feber", "märz mär mrz", "april apr", "mai",
           "juni jun", "juli jul", "august aug", "september sep sept", "oktober okt",
           "november nov", "dezember dez"),
    "fr": ("janvier janv", "février févr fév", "mars", "avril avr", "mai", "juin",
           "juillet juil", "août", "septembre sept", "octobre oct", "novembre nov",
           "décembre déc"),
    "es": ("enero ene", "febrero feb", "marzo mar", "abril abr", "mayo may", "junio jun",
           "julio jul", "agosto ago", "septiembre setiembre sep sept set", "octubre oct",
           "noviembre nov", "diciembre dic"),
    "it": ("gennaio gen", "febbraio feb", "marzo mar", "aprile apr", "maggio mag",
           "giugno giu", "luglio lug", "agosto ago", "settembre set", "ottobre ott",
           "novembre nov", "dicembre dic"),
    "pt": ("janeiro jan", "fevereiro fev", "março mar", "abril abr", "maio mai", "junho jun",
           "julho jul", "agosto ago", "setembro set", "outubro out", "novembro nov",
           "dezembro dez"),
    "nl": ("januari jan", "februari feb", "maart mrt mar", "april apr", "mei", "juni jun",
           "juli jul", "augustus aug", "september sep sept", "oktober okt", "november nov",
           "december dec"),
    "da": ("januar jan", "februar feb", "marts mar", "april apr", "maj", "juni jun",
           "juli jul", "august aug", "september sep", "oktober okt", "november nov",
           "december dec"),
    "sv": ("januari jan", "februari feb", "mars mar", "april apr", "maj", "juni jun",
           "juli jul", "augusti aug", "september sep sept", "oktober okt", "november nov",
           "december dec"),
    # Finnish: nominative, partitive (after a day: "5. joulukuuta"), genitive, adessive.
    "fi": tuple(f"{m} {m}ta {m}n {m}lla {m[:-2]}" for m in (
        "tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu",
        "elokuu", "syyskuu", "lokakuu", "marraskuu", "joulukuu")),
    "et": ("jaanuar jaanuaril jaan", "veebruar veebruaril veebr", "märts märtsil",
           "aprill aprillil apr", "mai mail", "juuni juunil", "juuli juulil",
           "august augustil aug", "september septembril sept", "oktoober oktoobril okt",
           "november novembril nov", "detsember detsembril dets"),
    "lv": ("janvāris janvārī janvāra janv", "februāris februārī februāra febr",
           "marts martā marta", "aprīlis aprīlī aprīļa apr", "maijs maijā maija",
           "jūnijs jūnijā jūnija", "jūlijs jūlijā jūlija", "augusts augustā augusta aug",
           "septembris septembrī septembra sept", "oktobris oktobrī oktobra okt",
           "novembris novembrī novembra nov", "decembris decembrī decembra dec"),
    "lt": ("sausis sausio saus", "vasaris vasario vas", "kovas kovo kov",
           "balandis balandžio bal", "gegužė gegužės geg", "birželis birželio birž",
           "liepa liepos liep", "rugpjūtis rugpjūčio rugpj", "rugsėjis rugsėjo rugs",
           "spalis spalio spal", "lapkritis lapkričio lapkr", "gruodis gruodžio gruod"),
    "pl": ("styczeń stycznia sty", "luty lutego lut", "marzec marca mar",
           "kwiecień kwietnia kwi", "maj maja", "czerwiec czerwca cze", "lipiec lipca lip",
           "sierpień sierpnia sie", "wrzesień września wrz", "październik października paź",
           "listopad listopada lis", "grudzień grudnia gru"),
    "cs": ("leden ledna", "únor února", "březen března", "duben dubna", "květen května",
           "červen června", "červenec července", "srpen srpna", "září", "říjen října",
           "listopad listopadu", "prosinec prosince"),
    "sk": ("január januára", "február februára", "marec marca", "apríl apríla", "máj mája",
           "jún júna", "júl júla", "august augusta", "september septembra",
           "október októbra", "november novembra", "december decembra"),
    "sl": ("januar januarja", "februar februarja", "marec marca", "april aprila", "maj maja",
           "junij junija", "julij julija", "avgust avgusta", "september septembra",
           "oktober oktobra", "november novembra", "december decembra"),
    "hr": ("siječanj siječnja", "veljača veljače", "ožujak ožujka", "travanj travnja",
           "svibanj svibnja", "lipanj lipnja", "srpanj srpnja", "kolovoz kolovoza",
           "rujan rujna", "listopad listopada", "studeni studenoga studenog",
           "prosinac prosinca"),
    "hu": ("január jan", "február febr", "március márc", "április ápr", "május máj",
           "június jún", "július júl", "augusztus aug", "szeptember szept", "október okt",
           "november nov", "december dec"),
    "ro": ("ianuarie ian", "februarie feb", "martie mar", "aprilie apr", "mai", "iunie iun",
           "iulie iul", "august aug", "septembrie sept", "octombrie oct", "noiembrie nov",
           "decembrie dec"),
    "el": ("ιανουάριος ιανουαρίου ιαν", "φεβρουάριος φεβρουαρίου φεβ",
           "μάρτιος μαρτίου μαρ", "απρίλιος απριλίου απρ", "μάιος μαΐου μαΐ",
           "ιούνιος ιουνίου ιουν", "ιούλιος ιουλίου ιουλ", "αύγουστος αυγούστου αυγ",
           "σεπτέμβριος σεπτεμβρίου σεπ", "οκτώβριος οκτωβρίου οκτ",
           "νοέμβριος νοεμβρίου νοε", "δεκέμβριος δεκεμβρίου δεκ"),
    "bg": ("януари яну", "февруари фев", "март мар", "април апр", "май", "юни", "юли",
           "август авг", "септември сеп", "октомври окт", "ноември ное", "декември дек"),
    # Irish: "Meán Fómhair" and "Deireadh Fómhair" are written as one word after folding.
    "ga": ("eanáir", "feabhra", "márta", "aibreán", "bealtaine", "meitheamh", "iúil",
           "lúnasa", "meánfómhair", "deireadhfómhair", "samhain", "nollaig"),
    "mt": ("jannar", "frar", "marzu", "april", "mejju", "ġunju", "lulju", "awwissu",
           "settembru", "ottubru", "novembru", "diċembru"),
}


def fold(text: str) -> str:
    """Case-folded, without diacritics: the form month names are looked up in."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _table(languages: tuple[str, ...]) -> dict[str, int]:
    table: dict[str, int] = {}
    for lang in languages:
        for number, forms in enumerate(_NAMES[lang], start=1):
            for form in forms.split():
                table.setdefault(fold(form), number)
    return table


_BY_LANGUAGE = {lang: _table((lang,)) for lang in _NAMES}
# Without a language, a name shared by several languages means what most of them say:
# Croatian "listopad" (October) loses to Polish and Czech (November). English is first.
_ALL = _table(tuple(_NAMES))


def month_number(word: str, language: str | None = None) -> int | None:
    """1-12 for a month name or abbreviation, or None. ``language`` (a tag such as
    ``hr-HR``) is asked first where names differ between languages."""
    key = fold(word).rstrip(".")
    if language:
        own = _BY_LANGUAGE.get(language[:2].lower())
        if own is not None and key in own:
            return own[key]
    return _ALL.get(key)
