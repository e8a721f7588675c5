import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.SocketOptions;

/**
 * Health check of deploy/local's Cassandra: exits 0 and prints "release_version data_center"
 * from system.local when the node at args[0]:args[1] answers CQL, 1 otherwise. Uses the Java
 * driver that cassandra-all itself depends on, so it needs nothing beyond the server's jars.
 */
public class CqlCheck {
  public static void main(String[] args) {
    int status = 1;
    try {
      SocketOptions socket = new SocketOptions().setConnectTimeoutMillis(3000).setReadTimeoutMillis(5000);
      Cluster cluster = Cluster.builder().addContactPoint(args[0]).withPort(Integer.parseInt(args[1]))
          .withSocketOptions(socket).withoutJMXReporting().withoutMetrics().build();
      Row row = cluster.connect().execute("SELECT release_version, data_center FROM system.local").one();
      System.out.println(row.getString("release_version") + " " + row.getString("data_center"));
      status = 0;
    } catch (Exception e) {
      System.err.println(e);
    }
    // Exit at once: closing the driver waits out Netty's quiet period.
    System.exit(status);
  }
}
