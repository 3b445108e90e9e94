package io.microw.eval;

/**
 * How a {@link LinearProbe} did: accuracy on its training rows, and accuracy and macro F1 (the mean over classes of
 * each class's F1) on the held-out rows ({@code NaN} when none were held out).
 *
 * @param trainRows          rows trained on
 * @param validationRows     rows held out
 * @param trainAccuracy      share of training rows predicted right
 * @param validationAccuracy share of held-out rows predicted right
 * @param validationMacroF1  macro F1 on the held-out rows, over the classes that occur there or are predicted
 */
public record ProbeReport(int trainRows, int validationRows, double trainAccuracy, double validationAccuracy,
                          double validationMacroF1) {

    /** The report of predictions {@code predicted} for labels {@code truth}, the first {@code train} being training rows. */
    static ProbeReport of(int[] truth, int[] predicted, int train, int classes) {
        int validation = truth.length - train;
        return new ProbeReport(train, validation, accuracy(truth, predicted, 0, train),
                validation == 0 ? Double.NaN : accuracy(truth, predicted, train, truth.length),
                validation == 0 ? Double.NaN : macroF1(truth, predicted, train, truth.length, classes));
    }

    private static double accuracy(int[] truth, int[] predicted, int from, int to) {
        int right = 0;
        for (int i = from; i < to; i++) {
            right += truth[i] == predicted[i] ? 1 : 0;
        }
        return (double) right / (to - from);
    }

    private static double macroF1(int[] truth, int[] predicted, int from, int to, int classes) {
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++) {
            int tp = 0;
            int fp = 0;
            int fn = 0;
            for (int i = from; i < to; i++) {
                boolean isC = truth[i] == c;
                boolean saysC = predicted[i] == c;
                tp += isC && saysC ? 1 : 0;
                fp += !isC && saysC ? 1 : 0;
                fn += isC && !saysC ? 1 : 0;
            }
            if (tp + fp + fn > 0) {
                sum += 2.0 * tp / (2.0 * tp + fp + fn);
                counted++;
            }
        }
        return sum / counted;
    }
}
