#include <stdio.h>
#include <senderkit/senderkit.h>
int
main(void)
{
	printf("senderkit %s\n", sk_version());
	return 0;
}
