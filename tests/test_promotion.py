from alpr.deployment.promotion import compare


def test_promotion_rule() -> None:
    assert compare({"eir": 0.5, "bbox_mAP": 0.1}, None).promote
    assert compare({"eir": 0.6, "bbox_mAP": 0.1}, {"eir": 0.5, "bbox_mAP": 0.9}).promote  # EIR first
    assert compare({"eir": 0.5, "bbox_mAP": 0.6}, {"eir": 0.5, "bbox_mAP": 0.5}).promote  # tie -> mAP
    kept = compare({"eir": 0.5, "bbox_mAP": 0.5}, {"eir": 0.5, "bbox_mAP": 0.5})
    assert not kept.promote and "production stays" in kept.reason
    assert not compare({"eir": 0.4, "bbox_mAP": 0.9}, {"eir": 0.5, "bbox_mAP": 0.1}).promote
    assert compare({"eir": 0.0, "bbox_mAP": 0.0}, {"eir": 1.0, "bbox_mAP": 1.0}, force=True).reason == "forced"
