package io.microw.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * torch.save state dicts: the fixture written by PyTorch itself, pickles written byte by byte in PyTorch's layout,
 * and pickles that try to run code, all refused with the offending global or opcode named.
 */
class TorchStateDictTest {

    @TempDir
    Path tmp;

    private static Path fixture() throws Exception {
        return Path.of(TorchStateDictTest.class.getResource(
                "/sae-formats/dictionary-learning/resid_post_layer_2/trainer_0/ae.pt").toURI());
    }

    @Test
    void readsTheStateDictPyTorchWrote() throws Exception {
        Map<String, FloatArray> t = TorchStateDict.read(fixture());
        assertThat(t.keySet()).containsExactly("encoder.weight", "encoder.bias", "decoder.weight", "bias");
        assertThat(t.get("encoder.weight").shape()).containsExactly(64, 16);
        assertThat(t.get("decoder.weight").shape()).containsExactly(16, 64);
        assertThat(t.get("bias").shape()).containsExactly(16);
        assertThat(t.get("encoder.weight").dtype()).isEqualTo("torch.FloatStorage");
    }

    @Test
    void stridedViewsAndIntegerBuffersAreRead() {
        Path file = tmp.resolve("views.pt");
        // storage 1..6 viewed as its 3x2 transpose: shape (3, 2), stride (1, 3); and a view at offset 2
        new TensorFileBytes.StateDictPickle()
                .tensor("t", "FloatStorage", TensorFileBytes.f32(1, 2, 3, 4, 5, 6), 6, new long[] {3, 2},
                        new long[] {1, 3}, 0)
                .tensor("tail", "FloatStorage", TensorFileBytes.f32(1, 2, 3, 4, 5, 6), 6, new long[] {2},
                        new long[] {2}, 2)
                .longScalar("k", 7)
                .write(file);
        Map<String, FloatArray> t = TorchStateDict.read(file);
        assertThat(t.get("t").values()).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(t.get("tail").values()).containsExactly(3, 5);
        assertThat(t.get("k").shape()).isEmpty();
        assertThat(t.get("k").values()).containsExactly(7);
    }

    private Path pickle(String name, String opcodes) {
        Path file = tmp.resolve(name);
        TensorFileBytes.torchZip(file, opcodes.getBytes(StandardCharsets.ISO_8859_1), Map.of());
        return file;
    }

    @Test
    void anOrderedDictWithItsMetadataAttributeIsAccepted() {
        // pickle.dumps(OrderedDict() with _metadata = OrderedDict([('', {'version': 1})]), protocol=2), as Python
        // writes it: REDUCE of OrderedDict, then BUILD with the attribute dict
        Path file = pickle("meta.pt", "\u0080\u0002ccollections\nOrderedDict\nq\u0000)Rq\u0001}q\u0002X\u0009\u0000"
                + "\u0000\u0000_metadataq\u0003h\u0000)Rq\u0004X\u0000\u0000\u0000\u0000q\u0005}q\u0006X\u0007\u0000"
                + "\u0000\u0000versionq\u0007K\u0001sssb.");
        assertThat(TorchStateDict.read(file)).isEmpty();
    }

    @Test
    void picklesThatCallAnythingElseAreRefused() {
        // a pickled instance of a class: GLOBAL __main__.Evil, EMPTY_TUPLE, REDUCE
        Path evil = pickle("evil.pt", "\u0080\u0002c__main__\nEvil\n)R.");
        assertThatThrownBy(() -> TorchStateDict.read(evil)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining(evil.toString()).hasMessageContaining("global '__main__.Evil' is not allowed");
        // the classic exploit: REDUCE of os.system with a command
        Path system = pickle("system.pt", "\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R.");
        assertThatThrownBy(() -> TorchStateDict.read(system)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("global 'os.system' is not allowed");
        // an allowed global called as something it is not
        Path storageCall = pickle("storage.pt", "\u0080\u0002ctorch\nFloatStorage\n)R.");
        assertThatThrownBy(() -> TorchStateDict.read(storageCall)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("REDUCE calls torch.FloatStorage");
        // NEWOBJ (building an object) is an opcode a state dict never uses
        Path newobj = pickle("newobj.pt", "\u0080\u0002ccollections\nOrderedDict\n)\u0081.");
        assertThatThrownBy(() -> TorchStateDict.read(newobj)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("opcode NEWOBJ 0x81");
        // BUILD setting attributes other than an OrderedDict's _metadata
        Path build = pickle("build.pt", "\u0080\u0002}}X\u0001\u0000\u0000\u0000xK\u0001sb.");
        assertThatThrownBy(() -> TorchStateDict.read(build)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("BUILD sets state {x=1}");
        // a pickle that is not a dict of tensors
        Path list = pickle("list.pt", "\u0080\u0002].");
        assertThatThrownBy(() -> TorchStateDict.read(list)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("not a state dict");
    }

    @Test
    void truncatedArchivesAndMissingStoragesAreNamed() throws Exception {
        byte[] all = Files.readAllBytes(fixture());
        Path cut = Files.write(tmp.resolve("cut.pt"), Arrays.copyOf(all, all.length - 200));
        assertThatThrownBy(() -> TorchStateDict.read(cut)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining(cut.toString()).hasMessageContaining("not a readable zip archive");
        TensorFileBytes.StateDictPickle p = new TensorFileBytes.StateDictPickle().tensor("w", new long[] {2}, 1, 2);
        Path noStorage = tmp.resolve("nostorage.pt");
        TensorFileBytes.torchZip(noStorage, p.bytes(), Map.of());
        assertThatThrownBy(() -> TorchStateDict.read(noStorage)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("tensor 'w' names storage data/0, which the archive lacks");
        Path notZip = Files.writeString(tmp.resolve("legacy.pt"), "\u0080\u0002}.");
        assertThatThrownBy(() -> TorchStateDict.read(notZip)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("not a readable zip archive");
    }

    @Test
    void viewsPastTheirStorageAreRefused() throws IOException {
        Path file = tmp.resolve("past.pt");
        new TensorFileBytes.StateDictPickle()
                .tensor("w", "FloatStorage", TensorFileBytes.f32(1, 2, 3), 3, new long[] {2, 2}, new long[] {2, 1}, 0)
                .write(file);
        assertThatThrownBy(() -> TorchStateDict.read(file)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining("tensor 'w'").hasMessageContaining("reaches past its storage of 3 elements");
    }
}
