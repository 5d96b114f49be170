// Types for roles-plugin.js (a serverless plugin, CommonJS).
declare class PerFunctionRoles {
  constructor(serverless: unknown);
}
declare namespace PerFunctionRoles {
  function functionRole(
    functionName: string,
    options: { stage: string; resources: Record<string, unknown>; inVpc: boolean; logGroupId: string },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- IAM statements are free-form JSON
  ): { Type: 'AWS::IAM::Role'; Properties: { Policies: { PolicyDocument: { Statement: any[] } }[] } };
  function roleLogicalId(functionName: string): string;
}
export = PerFunctionRoles;
