using Kuma.Configuration;
using Kuma.Gateway.Hosting;

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
}
