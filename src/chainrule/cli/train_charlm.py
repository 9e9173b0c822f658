"""`chainrule train charlm`: a character-level language model (being built in issue 11)."""


def add_parser(tasks):
    tasks.add_parser("charlm", help="a character-level language model (not built yet)")
