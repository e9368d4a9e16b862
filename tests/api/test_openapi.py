"""The served OpenAPI document describes every API route, from the schemas."""
from prisoncare import create_app


def spec(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_every_api_route_is_documented(client):
    doc = spec(client)
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, (method, path)


def test_schemas_come_from_the_code(client):
    doc = spec(client)
    schemas = doc["components"]["schemas"]
    create = schemas["PatientCreate"]
    assert set(create["required"]) == {"prison_number", "given_name", "family_name",
                                       "date_of_birth", "sex"}
    assert create["properties"]["sex"]["enum"] == ["female", "male", "intersex", "unknown"]
    event = schemas["CustodyEventCreate"]["properties"]
    assert "admission" in event["type"]["enum"] and "from" in event
    post = doc["paths"]["/api/v1/patients/{patient_id}/custody-events"]["post"]
    assert {"201", "409", "422"} <= set(post["responses"])
    error = post["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/ErrorEnvelope")


def test_no_two_schemas_share_a_name():
    """apispec renames a clashing schema ("WorklistItem1") with only a warning: the
    document then names one list's items after another's."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
        with app.test_client() as client:
            assert client.get("/api/openapi.json").status_code == 200
