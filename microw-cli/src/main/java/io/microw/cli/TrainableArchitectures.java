package io.microw.cli;

import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeArchitectures;

import java.util.Iterator;

/** The names {@code --arch} offers: the trainable architectures of {@link SaeArchitectures}. */
final class TrainableArchitectures implements Iterable<String> {

    @Override
    public Iterator<String> iterator() {
        return SaeArchitectures.trainable().stream().map(SaeArchitecture::saeLensName).iterator();
    }
}
