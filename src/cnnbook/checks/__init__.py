"""Self-checks for the exercises, one module per chapter.

Notebooks call ``checks.check_<name>(their_function)``. Every check prints one
verdict line (✓ correct, ✗ what is wrong and a hint, or "not implemented yet")
and returns a truthy or falsy Verdict; see :mod:`cnnbook.checks.verdict`.
"""

from cnnbook.checks.chapter2 import (
    check_dense_equivalent_params,
    check_hog_feature_length,
    check_mlp_param_count,
    check_neuron,
    check_per_class_accuracy,
    check_shift_image,
)
from cnnbook.checks.chapter3 import (
    check_avg_pool_backward,
    check_conv_input_gradient,
    check_conv_output_size,
    check_correlate2d,
    check_dense_backward,
    check_max_pool,
    check_max_pool_backward,
    check_softmax,
    check_softmax_cross_entropy_grad,
)
from cnnbook.checks.chapter3_learning import (
    check_adam_step,
    check_input_window,
    check_sgd_step,
    check_two_layer_gradients,
)
from cnnbook.checks.chapter4 import check_conv2d_param_count, check_flatten_size
from cnnbook.checks.chapter4_overfitting import (
    check_early_stopping_epochs,
    check_inverted_dropout,
    check_l2_penalty,
)
from cnnbook.checks.chapter4_speed import check_optimizer_steps, check_predict_seconds
from cnnbook.checks.chapter4_transfer import check_count_trainable, check_freeze_up_to
from cnnbook.checks.chapter5 import (
    check_class_weights,
    check_clip_gradients,
    check_conv2d_macs,
    check_macro_f1,
    check_membership_auc,
    check_quantize_int8,
)
from cnnbook.checks.chapter5_lime import check_deletion_auc, check_grad_cam_map, check_occlusion_map
from cnnbook.checks.verdict import exercise_check

__all__ = ["exercise_check", "check_conv2d_param_count", "check_flatten_size"]
__all__ += [
    "check_conv_output_size",
    "check_correlate2d",
    "check_conv_input_gradient",
    "check_max_pool",
    "check_max_pool_backward",
    "check_avg_pool_backward",
    "check_softmax",
    "check_softmax_cross_entropy_grad",
    "check_dense_backward",
]
__all__ += ["check_two_layer_gradients", "check_sgd_step", "check_adam_step", "check_input_window"]
__all__ += ["check_occlusion_map", "check_deletion_auc", "check_grad_cam_map"]
__all__ += ["check_per_class_accuracy", "check_hog_feature_length", "check_neuron", "check_mlp_param_count"]
__all__ += ["check_shift_image", "check_dense_equivalent_params"]
__all__ += ["check_class_weights", "check_macro_f1", "check_clip_gradients", "check_membership_auc"]
__all__ += ["check_conv2d_macs", "check_quantize_int8"]
__all__ += ["check_optimizer_steps", "check_predict_seconds"]
__all__ += ["check_early_stopping_epochs", "check_inverted_dropout", "check_l2_penalty"]
__all__ += ["check_count_trainable", "check_freeze_up_to"]
