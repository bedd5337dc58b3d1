# The GPU model: standard Swin-T widths (embed 96, depths 2-2-6-2, FPN 256, heads of base.py's
# widths) trained on the default recipe's data path (photos found at 384x288, plates read at
# the reading scale of alpr/model/plate_scale.py, windows around one plate), batch 8 with
# loader workers to feed a GPU; schedule and learning rate as default.py's unless the training
# parameters say otherwise. bench/gpu_check.py trains and times it on a GPU (docs/gpu.md).
_base_ = ['./default.py']

model = dict(
    backbone=dict(embed_dims=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], drop_path_rate=0.1),
    neck=dict(in_channels=[96, 192, 384, 768], out_channels=256),
    rpn_head=dict(in_channels=256, feat_channels=256),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=256),
        bbox_head=dict(in_channels=256, fc_out_channels=1024),
        mask_roi_extractor=dict(out_channels=256),
        mask_head=dict(num_convs=4, in_channels=256, conv_out_channels=256)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=256))))

train_dataloader = dict(batch_size=8, num_workers=8, persistent_workers=True)
