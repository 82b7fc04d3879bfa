using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Npgsql;

namespace Kuma.Tests.Unit;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData(new[] { "store", "postgres", "dbName" }, "KUMA_STORE_POSTGRES_DB_NAME")]
    [InlineData(new[] { "apiServer", "http", "port" }, "KUMA_API_SERVER_HTTP_PORT")]
    [InlineData(new[] { "apiServer", "authn", "localhostIsAdmin" }, "KUMA_API_SERVER_AUTHN_LOCALHOST_IS_ADMIN")]
    [InlineData(new[] { "dpServer", "port" }, "KUMA_DP_SERVER_PORT")]
    public void Config_file_keys_map_to_kuma_variable_names(string[] path, string expected) =>
        Assert.Equal(expected, ConfigFileKeys.ToEnvironmentName(path));

    [Fact]
    public void A_config_file_is_read_with_nested_keys()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "store:\n  type: postgres\n  postgres:\n    host: db.internal\n    port: 6543\napiServer:\n  http:\n    port: 7681\n");
            var values = ConfigFile.Flatten(file);
            var settings = new KumaSettings(values);
            Assert.Equal("postgres", settings.Get("KUMA_STORE_TYPE"));
            Assert.Equal(6543, settings.GetInt("KUMA_STORE_POSTGRES_PORT", 0));
            Assert.Contains("Host=db.internal", StoreOptions.From(settings).PostgresConnectionString, StringComparison.Ordinal);
            Assert.Equal(7681, settings.GetInt("KUMA_API_SERVER_HTTP_PORT", 0));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Bad_values_are_named_in_the_error()
    {
        var settings = new KumaSettings(new Dictionary<string, string> { ["KUMA_STORE_TYPE"] = "etcd", ["KUMA_API_SERVER_HTTP_PORT"] = "high" });
        Assert.Contains("KUMA_STORE_TYPE", Assert.Throws<KumaConfigurationException>(() => StoreOptions.From(settings)).Message, StringComparison.Ordinal);
        Assert.Contains("KUMA_API_SERVER_HTTP_PORT", Assert.Throws<KumaConfigurationException>(() => settings.GetInt("KUMA_API_SERVER_HTTP_PORT", 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_store_connection_string_is_the_one_npgsql_would_build()
    {
        var settings = new KumaSettings(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_HOST"] = "db.internal",
            ["KUMA_STORE_POSTGRES_PORT"] = "6543",
            ["KUMA_STORE_POSTGRES_USER"] = "control",
            ["KUMA_STORE_POSTGRES_PASSWORD"] = "semi;colon = 'quoted\" ",
            ["KUMA_STORE_POSTGRES_DB_NAME"] = "mesh",
            ["KUMA_STORE_POSTGRES_MAX_OPEN_CONNECTIONS"] = "7",
            ["KUMA_STORE_POSTGRES_CONNECTION_TIMEOUT"] = "9",
            ["KUMA_STORE_POSTGRES_TLS_MODE"] = "verifyCa",
            ["KUMA_STORE_POSTGRES_TLS_CA_PATH"] = "/etc/kuma tls/ca.pem",
            ["KUMA_STORE_POSTGRES_TLS_CERT_PATH"] = "/etc/kuma/cert.pem",
            ["KUMA_STORE_POSTGRES_TLS_KEY_PATH"] = "/etc/kuma/key.pem",
        });
        var expected = new NpgsqlConnectionStringBuilder
        {
            Host = "db.internal",
            Port = 6543,
            Username = "control",
            Password = "semi;colon = 'quoted\" ",
            Database = "mesh",
            MaxPoolSize = 7,
            Timeout = 9,
            SslMode = SslMode.VerifyCA,
            RootCertificate = "/etc/kuma tls/ca.pem",
            SslCertificate = "/etc/kuma/cert.pem",
            SslKey = "/etc/kuma/key.pem",
        };

        Assert.Equal(expected.ConnectionString, StoreOptions.From(settings).PostgresConnectionString);
        Assert.Equal(
            "Host=127.0.0.1;Port=5432;Username=kuma;Password=kuma;Database=kuma;Maximum Pool Size=50;Timeout=5;SSL Mode=Disable",
            StoreOptions.From(new KumaSettings(new Dictionary<string, string> { ["KUMA_STORE_TYPE"] = "postgres" })).PostgresConnectionString);
    }

    [Theory]
    [InlineData("KUMA_STORE_POSTGRES_PORT", "0")]
    [InlineData("KUMA_STORE_POSTGRES_MAX_OPEN_CONNECTIONS", "-1")]
    [InlineData("KUMA_STORE_POSTGRES_CONNECTION_TIMEOUT", "1025")]
    public void Store_numbers_npgsql_would_refuse_are_refused_at_configuration(string name, string value)
    {
        var settings = new KumaSettings(new Dictionary<string, string> { ["KUMA_STORE_TYPE"] = "postgres", [name] = value });
        Assert.Contains(name, Assert.Throws<KumaConfigurationException>(() => StoreOptions.From(settings)).Message, StringComparison.Ordinal);
    }
}
