"""Common given-name short forms, so `Bob Smith` and `Robert Smith` compare as the same first name.

Keys are casefolded, diacritic-free name keys (as in staging.*_name_key). A short form shared by
several formal names (Alex, Chris, Sam) maps to one of them; the comparison only asks "same canon".
"""

from __future__ import annotations

import pandas as pd

FORMS = {
    "abigail": "abby abbie gail", "alexander": "alex xander sasha alec al", "alexandra": "alex sasha lexi sandra",
    "alfred": "alf fred", "andrew": "andy drew", "anthony": "tony ant", "barbara": "barb babs",
    "benjamin": "ben benny benji", "bradley": "brad", "catherine": "cathy kate katie cat",
    "charles": "charlie chuck chas", "christina": "tina chrissy", "christopher": "chris kit topher",
    "cynthia": "cindy", "daniel": "dan danny", "david": "dave davey", "deborah": "deb debbie debra",
    "donald": "don donny", "douglas": "doug", "edward": "ed eddie ted ned", "elizabeth": "liz beth lizzie betty eliza",
    "emily": "em emmy", "frederick": "fred freddie", "gregory": "greg", "harold": "harry hal",
    "henry": "hank harry", "jacob": "jake", "james": "jim jimmy jamie", "jennifer": "jen jenny",
    "jessica": "jess jessie", "jonathan": "jon jonny", "john": "johnny jack", "joseph": "joe joey",
    "joshua": "josh", "katherine": "kate katie kathy kat", "kathleen": "kathy", "kenneth": "ken kenny",
    "lawrence": "larry", "leonard": "leo len lenny", "margaret": "maggie peggy meg marge",
    "matthew": "matt", "michael": "mike mikey mick", "nathaniel": "nate nat", "nathan": "nate",
    "nicholas": "nick nicky", "patricia": "pat patty trish tricia", "patrick": "pat paddy",
    "peter": "pete", "philip": "phil", "rebecca": "becky becca", "richard": "rick rich dick ricky",
    "robert": "bob rob bobby robbie bert", "ronald": "ron ronnie", "samuel": "sam sammy",
    "samantha": "sammie", "stephanie": "steph", "stephen": "steve", "steven": "stevie",
    "susan": "sue suzy susie", "theodore": "theo", "thomas": "tom tommy", "timothy": "tim timmy",
    "victoria": "vicky tori", "walter": "walt wally", "william": "bill will billy willy liam",
    "zachary": "zach zack",
    # German, Spanish, French, Nordic
    "johannes": "hannes hans jo", "maximilian": "max maxi", "friedrich": "fritz", "wolfgang": "wolf",
    "alejandro": "ale", "francisco": "paco pancho curro", "jose": "pepe", "guillermo": "memo",
    "manuel": "manolo", "dolores": "lola", "ignacio": "nacho", "enrique": "quique",
    "francois": "franck", "margarethe": "grete", "elisabeth": "lisa liesl", "katharina": "kathi",
    "christian": "chris", "sebastian": "basti", "tobias": "tobi", "magdalena": "lena",
}
# "steve" is the usual short form of both Stephen and Steven: one canon for all three
SAME = {"steven": "stephen", "stevie": "stephen"}


def nickname_frame() -> pd.DataFrame:
    """Reads nothing -> (name_key, canon_key) rows mapping every short form and formal name to its canon."""
    rows: dict[str, str] = {}
    for formal, shorts in FORMS.items():
        canon = SAME.get(formal, formal)
        rows.setdefault(formal, canon)
        for short in shorts.split():
            rows.setdefault(short, canon)
    rows.update(SAME)
    return pd.DataFrame({"name_key": list(rows), "canon_key": list(rows.values())})
