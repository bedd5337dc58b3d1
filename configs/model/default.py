# The default local model: small enough to train on 2 CPU cores in minutes and to answer in
# about 0.1-0.2 s. Differs from base.py in backbone widths/depths, neck and head widths
# (FPN 64: the P2 level's 3x3 convs dominate the neck and RPN cost), proposal counts and the
# test-time score threshold (masks are computed only for what is kept).
_base_ = ['./base.py']

embed_dims = 32
fpn_channels = 64
model = dict(
    backbone=dict(embed_dims=embed_dims, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8],
                  drop_path_rate=0.0),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=fpn_channels),
    rpn_head=dict(in_channels=fpn_channels, feat_channels=fpn_channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=fpn_channels),
        bbox_head=dict(in_channels=fpn_channels, fc_out_channels=256),
        mask_roi_extractor=dict(out_channels=fpn_channels),
        mask_head=dict(num_convs=2, in_channels=fpn_channels, conv_out_channels=64)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100),
        rcnn=dict(score_thr=0.3, max_per_img=50)))
