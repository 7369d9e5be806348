//! Probe metrics: balanced accuracy (torchmetrics' macro `MulticlassAccuracy`), accuracy, ROC-AUC.

/// Mean per-class recall over the classes that occur in `truth` or in `pred` (torchmetrics drops
/// classes with neither support nor predictions; a predicted but absent class scores 0).
pub fn balanced_accuracy(truth: &[u32], pred: &[u32], n_classes: usize) -> f64 {
    let mut support = vec![0usize; n_classes];
    let mut hit = vec![0usize; n_classes];
    let mut predicted = vec![0usize; n_classes];
    for (&t, &p) in truth.iter().zip(pred) {
        support[t as usize] += 1;
        predicted[p as usize] += 1;
        if t == p {
            hit[t as usize] += 1;
        }
    }
    let classes: Vec<usize> = (0..n_classes)
        .filter(|&c| support[c] + predicted[c] > 0)
        .collect();
    classes
        .iter()
        .map(|&c| {
            if support[c] > 0 {
                hit[c] as f64 / support[c] as f64
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / classes.len().max(1) as f64
}

pub fn accuracy(truth: &[u32], pred: &[u32]) -> f64 {
    truth.iter().zip(pred).filter(|(a, b)| a == b).count() as f64 / truth.len().max(1) as f64
}

/// ROC-AUC of scores for the positive class (Mann-Whitney U with ties counted half).
pub fn roc_auc(truth: &[u32], score: &[f64]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..truth.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if truth[k] == 1 {
                rank_sum += avg;
            }
        }
        i = j + 1;
    }
    let pos = truth.iter().filter(|&&t| t == 1).count() as f64;
    let neg = truth.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_predictor_scores_chance() {
        // 10 % positives, always predicting 0: accuracy 0.9, balanced accuracy exactly 0.5.
        let truth: Vec<u32> = (0..100).map(|i| (i % 10 == 0) as u32).collect();
        let pred = vec![0u32; 100];
        assert_eq!(balanced_accuracy(&truth, &pred, 2), 0.5);
        assert!((accuracy(&truth, &pred) - 0.9).abs() < 1e-12);
        let t10: Vec<u32> = (0..100).map(|i| i % 10).collect();
        assert!((balanced_accuracy(&t10, &vec![3; 100], 10) - 0.1).abs() < 1e-12);
    }

    /// FactorCL's swapped call `MulticlassAccuracy(macro)(y_test, y_pred)` on the reference's
    /// synergy test counts (3,690 negatives, 404 positives) with an all-negative probe:
    /// ½·3690/4094 = 0.450659... (REFERENCE §9.4), not 0.5.
    #[test]
    fn swapped_arguments_score_below_chance() {
        let truth: Vec<u32> = (0..4094).map(|i| (i < 404) as u32).collect();
        let pred = vec![0u32; 4094];
        let swapped = balanced_accuracy(&pred, &truth, 2);
        assert!((swapped - 0.5 * 3690.0 / 4094.0).abs() < 1e-12, "{swapped}");
    }

    #[test]
    fn auc_values() {
        assert_eq!(roc_auc(&[0, 0, 1, 1], &[0.1, 0.2, 0.3, 0.4]), Some(1.0));
        assert_eq!(roc_auc(&[1, 1, 0, 0], &[0.1, 0.2, 0.3, 0.4]), Some(0.0));
        assert_eq!(roc_auc(&[0, 1, 0, 1], &[0.5, 0.5, 0.5, 0.5]), Some(0.5));
        // One discordant pair of four: 0.75.
        assert_eq!(roc_auc(&[0, 1, 0, 1], &[0.1, 0.3, 0.4, 0.9]), Some(0.75));
        assert_eq!(roc_auc(&[0, 0], &[0.1, 0.2]), None);
    }
}
