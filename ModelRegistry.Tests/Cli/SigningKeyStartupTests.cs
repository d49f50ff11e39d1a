namespace ModelRegistry.Tests.Cli;

/// <summary>The server as an operator starts it: a signing key it cannot use stops it, naming the file and the setting.</summary>
[Collection(CommandLineCollection.Name)]
public sealed class SigningKeyStartupTests
{
    [Fact]
    public async Task A_key_file_that_is_not_a_p256_private_key_stops_start_up_with_exit_code_1_and_the_setting_to_fix()
    {
        var data = Path.Combine(Path.GetTempPath(), "mr-tests", $"bad-key-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var keyFile = Path.Combine(data, "not-a-key.pem");
        await File.WriteAllTextAsync(keyFile, "just some text\n", TestContext.Current.CancellationToken);
        try
        {
            var result = await RegistryCli.RunAsync(data, new Dictionary<string, string>
            {
                ["Registry__Signing__KeyPath"] = keyFile,
                ["Urls"] = "http://127.0.0.1:0",
            });

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("Registry:Signing:KeyPath", result.StandardError);
            Assert.Contains(keyFile, result.StandardError);
            Assert.DoesNotContain("   at ", result.StandardError); // a message, not a stack trace
            Assert.False(File.Exists(Path.Combine(data, "signing", "attestation-key.pem")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
