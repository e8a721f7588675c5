import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;

/**
 * Health check of deploy/local's Kafka: exits 0 and prints the cluster id when the broker at
 * args[0] (host:port) answers DescribeCluster with at least one broker, 1 otherwise.
 */
public class KafkaCheck {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    int status = 1;
    try {
      Admin admin = Admin.create(props);
      DescribeClusterResult cluster = admin.describeCluster();
      int brokers = cluster.nodes().get(5, TimeUnit.SECONDS).size();
      System.out.println(cluster.clusterId().get(5, TimeUnit.SECONDS) + " brokers=" + brokers);
      status = brokers > 0 ? 0 : 1;
    } catch (Exception e) {
      System.err.println(e);
    }
    // Exit at once: closing the client politely adds seconds to every check.
    System.exit(status);
  }
}
