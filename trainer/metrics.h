/* What a run reports after every epoch. Accuracies are percentages (0..100); losses are mean
 * cross-entropy per image (with label smoothing when it is on); val_* are NaN when there is no
 * validation split. */
#ifndef COHORT_METRICS_H
#define COHORT_METRICS_H

typedef struct {
    int epoch;                /* 1-based */
    double train_loss;        /* mean over the epoch's training images, in training mode */
    double train_top1;        /* % of training images classified right during the epoch (training mode) */
    double val_loss, val_top1;
    double test_loss, test_top1, test_top5;
    double lr;                /* learning rate at the last step of the epoch */
    double wall_seconds;      /* training + evaluation wall time of this epoch */
    double images_per_sec;    /* training images per second (forward + backward + step) */
    double train_objective;   /* models with auxiliary heads: the loss training minimised, the main head's (train_loss)
                               * plus each auxiliary head's times its weight; NaN for every other model */
} EpochMetrics;

#endif
