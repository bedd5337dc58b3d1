# The default local model: small enough to train on 2 CPU cores in minutes.
# Differs from base.py in backbone widths/depths, neck and head widths, proposal counts.
_base_ = ['./base.py']

embed_dims = 32
model = dict(
    backbone=dict(embed_dims=embed_dims, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8],
                  drop_path_rate=0.0),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=128),
    rpn_head=dict(in_channels=128, feat_channels=128),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=128),
        bbox_head=dict(in_channels=128, fc_out_channels=256),
        mask_roi_extractor=dict(out_channels=128),
        mask_head=dict(num_convs=2, in_channels=128, conv_out_channels=128)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=150)))
