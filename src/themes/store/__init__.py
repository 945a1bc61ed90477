"""Model folders: meta (typed meta.json), card (model card), format1 (reading older files),
persist (save and load with format versions), registry (versions and the shipped default)."""

from themes.store.meta import ModelMeta, TrainingInfo, library_versions, sha256_file
from themes.store.persist import (
    CARD_FILE,
    DATA_FILES,
    FORMAT_VERSION,
    META_FILE,
    PIPELINE_FILE,
    STARTER_TEST_FILE,
    TRAINING_DATA_FILE,
    LoadedModel,
    load_model,
    read_meta,
    save_model,
)
from themes.store.registry import (
    Registry,
    Version,
    default_model_dir,
    registry_root,
    shipped_model_dir,
)

__all__ = [
    "CARD_FILE",
    "DATA_FILES",
    "FORMAT_VERSION",
    "META_FILE",
    "PIPELINE_FILE",
    "STARTER_TEST_FILE",
    "TRAINING_DATA_FILE",
    "LoadedModel",
    "ModelMeta",
    "Registry",
    "TrainingInfo",
    "Version",
    "default_model_dir",
    "library_versions",
    "load_model",
    "read_meta",
    "registry_root",
    "save_model",
    "sha256_file",
    "shipped_model_dir",
]
