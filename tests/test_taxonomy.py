import pytest
import yaml

from conftest import FIXTURES, REPO, STARTER
from themes.errors import LabelError, TaxonomyError
from themes.taxonomy import default_taxonomy, load_taxonomy, taxonomy_from_dict

DOMAIN_THEMES = [
    "communication",
    "bias",
    "delay",
    "meetings",
    "staff_conduct",
    "records",
    "decisions",
    "listening",
    "contact",
    "visits",
    "confidentiality",
    "worker_changes",
    "placements",
    "finance",
    "support",
]


def test_default_taxonomy_has_the_domain_ids_in_order():
    taxonomy = load_taxonomy(STARTER / "taxonomy.yaml")
    assert taxonomy.theme_ids == DOMAIN_THEMES
    assert taxonomy.category_ids == ["service_provision", "assessment_review", "staff"]
    assert {"complaint", "compliment"} <= set(taxonomy.kind_ids)
    assert taxonomy.categorised_kinds == ("complaint",)
    assert all(label.description for label in taxonomy.themes)


def test_packaged_copy_matches_data_file():
    packaged = REPO / "src" / "themes" / "default_taxonomy.yaml"
    assert packaged.read_text() == (STARTER / "taxonomy.yaml").read_text()
    assert default_taxonomy().theme_ids == DOMAIN_THEMES


def test_duplicate_id_is_refused():
    with pytest.raises(TaxonomyError, match="duplicate themes id 'delay'"):
        load_taxonomy(FIXTURES / "bad_taxonomy.yaml")


def test_invalid_yaml_names_the_line(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("themes:\n  - id: a\n   - id: b\n")
    with pytest.raises(TaxonomyError, match="not valid YAML at line"):
        load_taxonomy(bad)


def test_missing_file_and_empty_taxonomy(tmp_path):
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")
    with pytest.raises(TaxonomyError, match="no labels"):
        taxonomy_from_dict({"name": "x"})


def test_semicolon_in_id_is_refused():
    with pytest.raises(TaxonomyError, match="must not contain ';'"):
        taxonomy_from_dict({"themes": [{"id": "a;b"}]})


def test_unknown_label_names_nearest_valid_id():
    with pytest.raises(LabelError) as info:
        default_taxonomy().check("themes", ["comunication", "delay"])
    message = str(info.value)
    assert "'comunication' (did you mean 'communication'?)" in message
    assert "delay" in message  # listed among the valid ids


def test_round_trip_through_dict():
    taxonomy = default_taxonomy()
    again = taxonomy_from_dict(yaml.safe_load(yaml.safe_dump(taxonomy.to_dict())))
    assert again == taxonomy
