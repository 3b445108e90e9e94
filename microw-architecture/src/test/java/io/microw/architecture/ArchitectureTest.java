package io.microw.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.microw.MicrowException;
import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * microw's architecture, as rules the build checks over the main classes of every module (ARCHITECTURE.md at the
 * repository root explains them and says where each kind of change goes).
 *
 * <p>The unit of the rules is the top-level package under {@code io.microw}: a package's subpackages belong to it
 * ({@code nn.internal} to {@code nn}, {@code sae.train} to {@code sae}, {@code io.hub} and {@code io.onnx} to
 * {@code io}). From the bottom up the layers are: the foundation ({@code io}, {@code tokenizer}, {@code nn},
 * {@code util} and the root package's {@code MicrowException}); {@code data}; the model's parts ({@code models},
 * {@code hooks}, {@code store}); the language model ({@code lm}); SAEs and steering ({@code sae}, {@code steering});
 * the applications ({@code concepts}, {@code analysis}, {@code eval}); and the front ends ({@code cli},
 * {@code server}, {@code spark}, {@code frontend}, {@code demo}), which see microw-core only through the packages its
 * {@code module-info.java} exports.
 */
@AnalyzeClasses(packages = "io.microw", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String ROOT = "io.microw";
    private static final List<String> FRONT_ENDS = List.of("cli", "server", "spark", "frontend", "demo");

    /** The packages microw-core's module descriptor exports to everyone. */
    private static final Set<String> EXPORTED = coreDescriptor().exports().stream()
            .filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());

    /**
     * A cycle means neither package can be understood, tested or changed without the other; every dependency
     * between two top-level packages (and between modules) points one way.
     */
    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("io.microw.(*)..").namingSlices("io.microw.$1")
            .should().beFreeOfCycles()
            .because("each package must be understandable and testable without the packages that use it");

    /**
     * The direction of all dependencies: a layer uses only the layers below it (and itself), so a change low down
     * is visible to everything above, and nothing low down knows about what is built on it.
     */
    @ArchTest
    static final ArchRule layersPointDown = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("front ends").definedBy(frontEndPackages())
            .layer("applications").definedBy(pkgs("concepts", "analysis", "eval"))
            .layer("SAEs and steering").definedBy(pkgs("sae", "steering"))
            .layer("language model").definedBy(pkgs("lm"))
            .layer("model parts").definedBy(pkgs("models", "hooks", "store"))
            .layer("data").definedBy(pkgs("data"))
            .layer("foundation").definedBy(pkgs("io", "tokenizer", "nn", "util"))
            .whereLayer("front ends").mayNotBeAccessedByAnyLayer()
            .whereLayer("applications").mayOnlyBeAccessedByLayers("front ends")
            .whereLayer("SAEs and steering").mayOnlyBeAccessedByLayers("applications", "front ends")
            .whereLayer("language model").mayOnlyBeAccessedByLayers("SAEs and steering", "applications",
                    "front ends")
            .whereLayer("model parts").mayOnlyBeAccessedByLayers("language model", "SAEs and steering",
                    "applications", "front ends")
            .whereLayer("data").mayOnlyBeAccessedByLayers("model parts", "language model", "SAEs and steering",
                    "applications", "front ends")
            .because("dependencies point down: the lower a package, the fewer packages it can break");

    /** File formats, configs and the Hub client serve every layer; they know nothing of models or tokens. */
    @ArchTest
    static final ArchRule ioImportsNothingAbove = foundation("io");

    /**
     * The tokenizer turns text into ids for anything that needs it and knows nothing of what runs on them; it reads
     * its files with {@code io}'s shared JSON mapper, the one package below it.
     */
    @ArchTest
    static final ArchRule tokenizerImportsNothingAbove = foundation("tokenizer", "io");

    /**
     * The module tree and its forward machinery are pure tensor code: configs and tokens reach them as plain values
     * (a model's config reader builds {@code RopeScaling}; {@code ForwardBatch} carries the special-token mask).
     */
    @ArchTest
    static final ArchRule nnImportsNothingAbove = foundation("nn");

    /** Small algorithms (top-k, edit distance) that any package may use must not drag anything in. */
    @ArchTest
    static final ArchRule utilImportsNothingAbove = foundation("util");

    /**
     * An SAE is pure math on arrays: it encodes and decodes without a model, so it can be trained offline, loaded
     * anywhere and tested alone. Attaching it to a model is {@code concepts.SaeHook}'s job; only {@code sae.train}
     * may read activations from a model through {@code lm}.
     */
    @ArchTest
    static final ArchRule saeIsPureMath = noClasses().that().resideInAPackage(ROOT + ".sae")
            .should().dependOnClassesThat().resideInAnyPackage(pkgs("lm", "concepts", "hooks"))
            .because("an SAE encodes and decodes without a model; SaeHook (concepts) attaches it");

    /**
     * The language model runs forwards with interventions and knows no SAE, concept or analysis: those are built on
     * its hooks, so new kinds of analysis never change it.
     */
    @ArchTest
    static final ArchRule lmKnowsNoSaeConceptsOrAnalysis = noClasses().that().resideInAPackage(ROOT + ".lm..")
            .should().dependOnClassesThat().resideInAnyPackage(pkgs("sae", "concepts", "analysis"))
            .because("SAEs, concepts and analyses are built on the model's hooks and runs, not part of it");

    /**
     * The CLI, the server, Spark, the shared front-end layer and the demo use microw-core as any user would:
     * through the packages its module descriptor exports; internals ({@code nn.internal}, {@code io.onnx}) may
     * change without them noticing.
     */
    @ArchTest
    static final ArchRule frontEndsUseOnlyCoresApi = noClasses().that().resideInAnyPackage(frontEndPackages())
            .should().dependOnClassesThat(inACorePackageNotExported())
            .because("front ends are users of the library; what core does not export may change under them");

    /** The descriptor the front-end rule reads is microw-core's own, and it hides the internals. */
    @Test
    void coreIsANamedModuleThatHidesItsInternals() {
        ModuleDescriptor core = coreDescriptor();
        assertThat(core.name()).isEqualTo("io.microw.core");
        assertThat(core.isAutomatic()).as("microw-core has a module-info.java").isFalse();
        assertThat(core.packages()).contains(ROOT + ".nn.internal", ROOT + ".io.onnx");
        assertThat(EXPORTED).contains(ROOT + ".lm", ROOT + ".nn")
                .doesNotContain(ROOT + ".nn.internal", ROOT + ".io.onnx");
    }

    /** Classes of {@code pkg} (with its subpackages) depend on no io.microw package but their own and the root. */
    /** {@code pkg} depends on nothing in microw but itself, the root package and the packages {@code below} it. */
    private static ArchRule foundation(String pkg, String... below) {
        List<String> allowed = new java.util.ArrayList<>(List.of(pkg));
        allowed.addAll(List.of(below));
        return classes().that().resideInAPackage(ROOT + "." + pkg + "..")
                .should().onlyDependOnClassesThat(DescribedPredicate.describe(
                        "are outside io.microw, in io.microw itself or in io.microw." + String.join(", io.microw.",
                                allowed),
                        (JavaClass c) -> !c.getPackageName().startsWith(ROOT + ".")
                                || allowed.stream().anyMatch(a -> c.getPackageName().equals(ROOT + "." + a)
                                        || c.getPackageName().startsWith(ROOT + "." + a + "."))))
                .because(ROOT + "." + pkg + " is at the bottom: everything may use it, so it may use nothing "
                        + "above it");
    }

    private static DescribedPredicate<JavaClass> inACorePackageNotExported() {
        return DescribedPredicate.describe("are in a microw-core package its module-info does not export",
                c -> isCore(c.getPackageName()) && !EXPORTED.contains(c.getPackageName()));
    }

    /** A package of microw-core: io.microw itself or any io.microw package that is not a front end's. */
    private static boolean isCore(String pkg) {
        if (pkg.equals(ROOT)) {
            return true;
        }
        if (!pkg.startsWith(ROOT + ".")) {
            return false;
        }
        String top = pkg.substring(ROOT.length() + 1).split("\\.")[0];
        return !FRONT_ENDS.contains(top);
    }

    private static String[] frontEndPackages() {
        return pkgs(FRONT_ENDS.toArray(String[]::new));
    }

    private static String[] pkgs(String... names) {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = ROOT + "." + names[i] + "..";
        }
        return out;
    }

    /** microw-core's module descriptor, read from where its classes are (target/classes or its jar). */
    private static ModuleDescriptor coreDescriptor() {
        Path location;
        try {
            location = Path.of(MicrowException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate microw-core's classes: " + e.getMessage(), e);
        }
        Set<ModuleReference> found = ModuleFinder.of(location).findAll();
        if (found.size() != 1) {
            throw new IllegalStateException("expected one module at " + location + ", found " + found.size());
        }
        return found.iterator().next().descriptor();
    }
}
