// Uploads one file to an S3-compatible server with the AWS SDK's own multipart upload (TransferUtility), with the
// client configured exactly as the registry configures its own, and prints the seconds the upload took.
// Usage: S3Upload SERVICE_URL BUCKET KEY FILE [PART_MIB]   (credentials in S3_ACCESS_KEY / S3_SECRET_KEY)
using System.Diagnostics;
using System.Globalization;
using Amazon.S3.Transfer;
using ModelRegistry.Core;
using ModelRegistry.Core.Artifacts.Storage.S3;

if (args.Length < 4)
{
    await Console.Error.WriteLineAsync("usage: S3Upload SERVICE_URL BUCKET KEY FILE [PART_MIB]");
    return 2;
}

var partMiB = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 16;
using var client = S3ArtifactStore.CreateClient(new S3ArtifactOptions
{
    ServiceUrl = args[0],
    Bucket = args[1],
    AccessKey = Environment.GetEnvironmentVariable("S3_ACCESS_KEY"),
    SecretKey = Environment.GetEnvironmentVariable("S3_SECRET_KEY"),
});
using var transfer = new TransferUtility(client);
var clock = Stopwatch.StartNew();
await transfer.UploadAsync(new TransferUtilityUploadRequest
{
    BucketName = args[1],
    Key = args[2],
    FilePath = args[3],
    PartSize = partMiB * 1024L * 1024,
});
Console.WriteLine(clock.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
return 0;
