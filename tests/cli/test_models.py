import json


def test_models_lists_the_default_with_classes(cli, default_model_path):
    r = cli("models")
    assert r.returncode == 0, r.stderr
    assert "default: semantic, input 360x480 (dynamic), 11 classes" in r.stdout
    assert "sky, building, pole, road" in r.stdout


def test_models_json_for_one_file(cli, rgb_model):
    r = cli("models", rgb_model, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)[0]
    assert info["classes"] == ["red", "green", "blue"] and info["things"] == ["red"]


def test_models_unknown(cli):
    r = cli("models", "nope")
    assert r.returncode == 2 and "known: default" in r.stderr
