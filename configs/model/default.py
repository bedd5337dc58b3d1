# The default local model and its CPU recipe: small enough to train on 2 CPU cores in 25-40
# minutes and to read a photo in 0.1-0.6 s (by machine and photo; docs/results.md). Differs from base.py in
# backbone widths/depths, neck and head widths (FPN 64: the P2 level's 3x3 convs dominate the
# neck and RPN cost), proposal counts, the test-time score threshold (masks are computed only
# for what is kept), the input size, training windows and the schedule.
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
    # 200 proposals, 100 detections: a scene holds up to 3 plates x 10 parts, and low-score
    # board fragments and second-choice glyph classes help post-processing (EIR 0.68 with
    # 100/50 -> 0.78 with 300/100 on one model); the score threshold 0.1 keeps board fragments.
    test_cfg=dict(
        rpn=dict(nms_pre=600, max_per_img=200),
        rcnn=dict(score_thr=0.1, max_per_img=100)))

# Photos are found at 384x288 (never below the finding scale of alpr/model/plate_scale.py) and
# plates read at the reading scale (boards 62-135 px wide, long ones 118-250: glyphs 14-35 px
# high): as accurate as 512x384 scenes and ~30 % faster to run (docs/results.md). Training
# resizes each photo to one of the two scales and takes a 240x192 window around one plate, not
# the whole photo: the backbone's cost follows the pixel count (alpr/model/transforms.py).
image_size = (384, 288)
train_pipeline = [
    dict(type='LoadPhotoSize'),  # decoded by PlateScaleResize, at the resolution it needs
    # masks stay polygons until the window is cut (a 4K bitmap per instance costs ~30 ms)
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True, poly2mask=False),
    dict(type='PlateScaleResize', fit_size=image_size),
    dict(type='BoardCrop', crop_size=(240, 192)),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# AdamW 2e-3 (better than 1e-3 at the same length), 100 warm-up iterations, cosine decay over
# 4800 iterations of batch 2 (~32 min at 0.4 s per iteration on the camera mix of configs/training.yaml).
max_iters = 4800
optim_wrapper = dict(optimizer=dict(lr=2e-3))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=max_iters, eta_min_ratio=0.05),
]
