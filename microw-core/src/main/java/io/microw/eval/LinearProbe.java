package io.microw.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.microw.nn.Autograd;

import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * A linear probe: multinomial logistic regression (two classes or more) with an L2 penalty, trained with Adam on
 * activations, e.g. a layer's residual stream per token against a part-of-speech label. Features are standardised
 * for training (the returned weights act on raw activations); a seeded shuffle holds out a validation split, on
 * which the {@link ProbeReport} gives accuracy and macro F1. Each minibatch step takes the gradient of the penalised
 * cross-entropy (mean cross-entropy plus λ·‖W‖²) with autograd and applies DJL's Adam; a step holds the JVM's one
 * gradient collector ({@link Autograd#collectorLock()}) only for its forward and backward, so probes and
 * {@code lm.gradients()} calls take turns. {@link #direction()} is usable as a steering vector.
 * <pre>{@code
 * LinearProbe probe = LinearProbe.train(features, labels, ProbeOptions.defaults());
 * System.out.println(probe.report().validationAccuracy());
 * }</pre>
 */
public final class LinearProbe {

    private final float[][] weights;
    private final float[] bias;
    private final ProbeReport report;

    private LinearProbe(float[][] weights, float[] bias, ProbeReport report) {
        this.weights = weights;
        this.bias = bias;
        this.report = report;
    }

    /**
     * Trains a probe.
     *
     * @param features one row of activations per example, all of one width
     * @param labels   each example's class, 0..classes-1, with at least two classes present
     * @param options  the training settings
     * @return the trained probe with its report
     * @throws IllegalArgumentException for empty, ragged or non-finite features, labels of another length, negative
     *                                  labels, or a single class
     */
    public static LinearProbe train(float[][] features, int[] labels, ProbeOptions options) {
        Objects.requireNonNull(options, "options");
        int d = checkedWidth(features, labels);
        int classes = Arrays.stream(labels).max().orElse(0) + 1;
        int[] order = shuffled(labels.length, options.seed());
        int validation = (int) Math.round(labels.length * options.validationFraction());
        int train = labels.length - validation;
        if (train < 2) {
            throw new IllegalArgumentException("only " + train + " training example(s) after holding out "
                    + validation + " for validation; give more examples or a smaller validation fraction");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(rows(features, order), new Shape(labels.length, d));
            int[] y = pick(labels, order);
            NDArray trainX = x.get(new NDIndex("0:{}", train));
            NDArray mean = trainX.mean(new int[] {0});
            NDArray std = trainX.sub(mean).square().mean(new int[] {0}).sqrt().add(1e-6f);
            NDArray z = x.sub(mean).div(std);
            NDArray[] wb = fit(manager, z.get(new NDIndex("0:{}", train)), Arrays.copyOf(y, train), classes, options);
            NDArray w = wb[0].div(std.reshape(d, 1));
            NDArray b = wb[1].sub(mean.reshape(1, d).matMul(w).reshape(classes));
            float[][] weights = columnsAsRows(w, d, classes);
            float[] bias = b.toFloatArray();
            LinearProbe probe = new LinearProbe(weights, bias, null);
            int[] predicted = probe.predict(features, order);
            ProbeReport report = ProbeReport.of(y, predicted, train, classes);
            return new LinearProbe(weights, bias, report);
        }
    }

    /**
     * Trains a probe on activations held in a tensor, e.g. one layer of an {@code ActivationCache} or a stored run's
     * tensor, reshaped to one row per example ({@code cache.get(site).reshape(-1, d)} for every token).
     *
     * @param features [examples, width], any float type; read, not changed or closed
     * @param labels   each example's class, 0..classes-1, with at least two classes present
     * @param options  the training settings
     * @return the trained probe with its report
     * @throws IllegalArgumentException for a tensor that is not two-dimensional, and as {@link #train(float[][],
     *                                  int[], ProbeOptions)}
     */
    public static LinearProbe train(NDArray features, int[] labels, ProbeOptions options) {
        Objects.requireNonNull(features, "features");
        Shape shape = features.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("features must be [examples, width], got shape " + shape
                    + "; reshape a [batch, seq, width] activation with reshape(-1, width)");
        }
        int n = (int) shape.get(0);
        int d = (int) shape.get(1);
        float[] flat;
        try (NDArray asFloat = features.toType(DataType.FLOAT32, true)) {
            flat = asFloat.toFloatArray();
        }
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return train(rows, labels, options);
    }

    /**
     * Minibatch Adam (DJL's) on standardised features: each step differentiates the penalised cross-entropy with
     * autograd, holding the JVM's one gradient collector only for its forward and backward. Returns weights
     * [d, classes] and bias [classes].
     */
    private static NDArray[] fit(NDManager manager, NDArray x, int[] y, int classes, ProbeOptions o) {
        int n = y.length;
        int d = (int) x.getShape().get(1);
        NDArray w = manager.zeros(new Shape(d, classes));
        NDArray b = manager.zeros(new Shape(classes));
        w.setRequiresGradient(true);
        b.setRequiresGradient(true);
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) o.learningRate())).build();
        NDArray oneHot = manager.create(y).oneHot(classes).toType(DataType.FLOAT32, false);
        // a scalar PyTorch allocates: the backward of the product keeps it (see Autograd)
        NDArray l2 = manager.full(new Shape(), (float) o.l2(), DataType.FLOAT32, x.getDevice());
        Random random = new Random(o.seed());
        for (int epoch = 0; epoch < o.epochs(); epoch++) {
            int[] batchOrder = shuffled(n, random.nextLong());
            for (int start = 0; start < n; start += o.batchSize()) {
                int end = Math.min(n, start + o.batchSize());
                try (NDManager step = manager.newSubManager()) {
                    NDArray index = step.create(Arrays.copyOfRange(batchOrder, start, end));
                    NDArray xb = in(step, x.get(index));
                    NDArray yb = in(step, oneHot.get(index));
                    synchronized (Autograd.collectorLock()) {
                        try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                            NDArray crossEntropy = xb.matMul(w).add(b).logSoftmax(-1).mul(yb).sum(new int[] {1})
                                    .mean().neg();
                            NDArray penalty = in(step, w.square()).sum().mul(l2);
                            collector.backward(crossEntropy.add(penalty));
                        }
                    }
                    descend(adam, "w", w);
                    descend(adam, "b", b);
                }
            }
        }
        w.setRequiresGradient(false);
        b.setRequiresGradient(false);
        return new NDArray[] {w, b};
    }

    /** One Adam step on a parameter from the gradient its backward left, which is then zeroed for the next step. */
    private static void descend(Optimizer adam, String name, NDArray parameter) {
        try (NDArray gradient = parameter.getGradient()) {
            adam.update(name, parameter, gradient);
            gradient.subi(gradient);
        }
    }

    /** {@code array}, moved into {@code manager} (an operation's result lives in its first operand's manager). */
    private static NDArray in(NDManager manager, NDArray array) {
        array.attach(manager);
        return array;
    }

    /**
     * The predicted class of each row.
     *
     * @param features rows of activations of the probe's width
     * @return the class with the largest score per row
     */
    public int[] predict(float[][] features) {
        int[] identity = new int[features.length];
        Arrays.setAll(identity, i -> i);
        return predict(features, identity);
    }

    private int[] predict(float[][] features, int[] order) {
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            float[] row = features[order[i]];
            if (row.length != inputs()) {
                throw new IllegalArgumentException("row " + order[i] + " has " + row.length + " values but the probe "
                        + "takes " + inputs());
            }
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < bias.length; c++) {
                double score = bias[c];
                for (int j = 0; j < row.length; j++) {
                    score += (double) weights[c][j] * row[j];
                }
                if (score > bestScore) {
                    bestScore = score;
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /**
     * How well the probe did on its training and validation rows.
     *
     * @return the report
     */
    public ProbeReport report() {
        return report;
    }

    /**
     * The number of classes.
     *
     * @return at least 2
     */
    public int classes() {
        return bias.length;
    }

    /**
     * The width of the activations the probe reads.
     *
     * @return d
     */
    public int inputs() {
        return weights[0].length;
    }

    /**
     * Class {@code c}'s weights on raw activations (a copy).
     *
     * @param c the class
     * @return [inputs]
     */
    public float[] weights(int c) {
        return weights[checkedClass(c)].clone();
    }

    /**
     * Class {@code c}'s bias: its score of an all-zero row.
     *
     * @param c the class
     * @return the bias
     */
    public float bias(int c) {
        return bias[checkedClass(c)];
    }

    /**
     * The unit direction from class 0 to class 1 of a two-class probe (w₁ − w₀, normalised): adding it to the
     * activations moves them toward class 1, so it serves as a steering vector.
     *
     * @return [inputs], of length 1
     * @throws IllegalStateException for a probe of more than two classes (use {@link #direction(int)})
     */
    public float[] direction() {
        if (classes() != 2) {
            throw new IllegalStateException("this probe has " + classes() + " classes; name one with direction(c)");
        }
        return unit(difference(weights[1], weights[0]));
    }

    /**
     * The unit direction toward class {@code c}: its weights minus the mean of all classes' weights, normalised.
     *
     * @param c the class
     * @return [inputs], of length 1
     */
    public float[] direction(int c) {
        checkedClass(c);
        float[] mean = new float[inputs()];
        for (float[] row : weights) {
            for (int j = 0; j < mean.length; j++) {
                mean[j] += row[j] / classes();
            }
        }
        return unit(difference(weights[c], mean));
    }

    private int checkedClass(int c) {
        if (c < 0 || c >= classes()) {
            throw new IllegalArgumentException("class " + c + " is out of range: the probe has " + classes()
                    + " classes (0.." + (classes() - 1) + ")");
        }
        return c;
    }

    private static float[] difference(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int j = 0; j < a.length; j++) {
            out[j] = a[j] - b[j];
        }
        return out;
    }

    private static float[] unit(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        double scale = norm == 0 ? 0 : 1 / Math.sqrt(norm);
        for (int j = 0; j < v.length; j++) {
            v[j] *= (float) scale;
        }
        return v;
    }

    /** The features' width, after checking the inputs. */
    private static int checkedWidth(float[][] features, int[] labels) {
        if (features == null || labels == null || features.length == 0) {
            throw new IllegalArgumentException("no examples given: features and labels must be non-empty");
        }
        if (features.length != labels.length) {
            throw new IllegalArgumentException(features.length + " feature rows but " + labels.length + " labels");
        }
        int d = features[0].length;
        if (d == 0) {
            throw new IllegalArgumentException("feature rows are empty");
        }
        for (int i = 0; i < features.length; i++) {
            if (features[i].length != d) {
                throw new IllegalArgumentException("row " + i + " has " + features[i].length + " values but row 0 "
                        + "has " + d);
            }
            for (float v : features[i]) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("row " + i + " holds " + v + "; features must be finite");
                }
            }
            if (labels[i] < 0) {
                throw new IllegalArgumentException("label " + labels[i] + " of row " + i + " is negative");
            }
        }
        if (Arrays.stream(labels).distinct().count() < 2) {
            throw new IllegalArgumentException("every label is " + labels[0] + "; a probe needs two classes or more");
        }
        return d;
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static float[] rows(float[][] features, int[] order) {
        int d = features[0].length;
        float[] flat = new float[order.length * d];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(features[order[i]], 0, flat, i * d, d);
        }
        return flat;
    }

    private static int[] pick(int[] values, int[] order) {
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = values[order[i]];
        }
        return out;
    }

    private static float[][] columnsAsRows(NDArray w, int d, int classes) {
        float[] flat = w.toFloatArray();
        float[][] out = new float[classes][d];
        for (int j = 0; j < d; j++) {
            for (int c = 0; c < classes; c++) {
                out[c][j] = flat[j * classes + c];
            }
        }
        return out;
    }
}
