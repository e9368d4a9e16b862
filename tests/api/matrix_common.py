ROLES = ("nurse", "clinician", "release_officer", "auditor", "custody", "admin")
ALL = {r: "ok" for r in ROLES}
CLINICAL = ("nurse", "clinician")


def only(*roles):
    return {r: ("ok" if r in roles else 403) for r in ROLES}
