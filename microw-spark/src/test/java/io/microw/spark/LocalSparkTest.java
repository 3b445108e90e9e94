package io.microw.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalSparkTest {

    @Test
    void everySocketTheSessionListensOnIsLoopback() {
        SparkSession spark = TestSpark.session();
        assertThat(spark.range(100).count()).isEqualTo(100);
        assertThat(spark.conf().get("spark.driver.host")).isEqualTo("127.0.0.1");
        assertThat(spark.conf().get("spark.ui.enabled")).isEqualTo("false");

        List<String> listening = ListeningSockets.of(ProcessHandle.current().pid());
        assertThat(listening).as("this JVM listens (the driver's RPC and block manager)").isNotEmpty();
        assertThat(listening).allSatisfy(a -> assertThat(a).isEqualTo("127.0.0.1"));
    }

    @Test
    void refusesAMasterThatIsNotLocal() {
        assertThatThrownBy(() -> LocalSpark.builder("spark://10.0.0.1:7077", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spark://10.0.0.1:7077").hasMessageContaining("local[N]");
    }
}
