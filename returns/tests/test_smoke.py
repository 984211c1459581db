import pytest

pytestmark = pytest.mark.django_db


def test_flow(shipped_order, start_return, act, django_capture_on_commit_callbacks):
    shipped_order(lines=(("l1", "TEE", 3, "10.00"),), shipping="5.00")
    with django_capture_on_commit_callbacks(execute=True):
        r = start_return(lines=[{"line": "l1", "quantity": 2}])
    assert r.status_code == 201, r.json()
    data = r.json()
    print(data)
    rid = data["id"]
    with django_capture_on_commit_callbacks(execute=True):
        r = act(rid, "receive", {"lines": [{"line": "l1", "quantity": 2}]})
    assert r.status_code == 200, r.json()
    with django_capture_on_commit_callbacks(execute=True):
        r = act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 1, "damaged": 1}]})
    assert r.status_code == 200, r.json()
    print(r.json())
