import pytest

from alpr.deployment.promotion import compare


def test_promotion_rule() -> None:
    assert compare({"eir": 0.5, "bbox_mAP": 0.1}, None).promote
    assert compare({"eir": 0.6, "bbox_mAP": 0.1}, {"eir": 0.5, "bbox_mAP": 0.9}).promote  # EIR first
    assert compare({"eir": 0.5, "bbox_mAP": 0.6}, {"eir": 0.5, "bbox_mAP": 0.5}).promote  # tie -> mAP
    kept = compare({"eir": 0.5, "bbox_mAP": 0.5}, {"eir": 0.5, "bbox_mAP": 0.5})
    assert not kept.promote and "production stays" in kept.reason
    assert not compare({"eir": 0.4, "bbox_mAP": 0.9}, {"eir": 0.5, "bbox_mAP": 0.1}).promote
    assert compare({"eir": 0.0, "bbox_mAP": 0.0}, {"eir": 1.0, "bbox_mAP": 1.0}, force=True).reason == "forced"


def test_promotion_weighs_the_foreign_test_set() -> None:
    """With a foreign EIR the mean of both EIRs decides: better at home but worse abroad loses."""
    prod = {"eir": 0.95, "bbox_mAP": 0.5, "foreign_eir": 0.80}
    assert not compare({"eir": 0.97, "bbox_mAP": 0.9, "foreign_eir": 0.70}, prod).promote
    won = compare({"eir": 0.94, "bbox_mAP": 0.4, "foreign_eir": 0.90}, prod)
    assert won.promote and "foreign 0.9000" in won.reason
    assert compare({"eir": 0.95, "bbox_mAP": 0.6, "foreign_eir": 0.80}, prod).promote  # tie -> mAP
    with pytest.raises(ValueError, match="same sets"):
        compare({"eir": 0.9, "bbox_mAP": 0.5, "foreign_eir": 0.9}, {"eir": 0.8, "bbox_mAP": 0.5})
